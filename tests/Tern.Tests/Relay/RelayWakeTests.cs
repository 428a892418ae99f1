using Tern.Tests.Delivery;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>The relay reads only the entries its wake-up names (not the whole queue per new message), so an entry that
/// gains remote recipients after it was queued must wake it too.</summary>
public sealed class RelayWakeTests
{
    [Fact]
    public async Task An_alias_target_in_another_domain_is_relayed_at_once_not_at_the_next_full_scan()
    {
        await using var dns = TestDnsServer.Start();
        await using var destination = await RelayEndToEndTests.StartDestinationAsync("bob@dest.test");
        dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test");
        var settings = RelayEndToEndTests.SourceSettings(dns, destination.SmtpPort);
        settings["Relay:IntervalSeconds"] = "600"; // after the scan at start, no full scan within the test
        await using var source = await TernTestServer.StartAsync(settings);
        await source.AddUserAsync("alice@source.test", "secret-password");
        await source.Accounts.AddAliasAsync("team@source.test", ["alice@source.test", "bob@dest.test"]);

        // Queued with one local recipient (nothing for the relay); local delivery adds bob@dest.test to the entry.
        await RelayEndToEndTests.SubmitAsync(source, "through an alias", "team@source.test");

        Assert.Single(await LocalDeliveryTests.InboxAsync(source, "alice@source.test", 1));
        Assert.Single(await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 1));
        await RelayHarness.WaitUntilAsync(async () => (await source.Services.GetQueue().ListAsync()).Count == 0, 10, "empty queue");
    }
}
