using Tern.Queue;
using Tern.Tests.Delivery;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>RFC 8461 MTA-STS in the relay, end to end: policies served over HTTPS from loopback with a test CA, MX
/// records from the loopback DNS server, a real Tern or a scripted server as the MX.</summary>
public sealed class MtaStsRelayTests
{
    [Fact]
    public async Task Enforced_policy_delivers_to_a_matching_MX_with_a_valid_certificate_and_caches_the_policy()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var destination = await fixture.StartDestinationAsync(["mx.dest.test"], false, "bob@dest.test");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test");
        fixture.Publish("dest.test", "enforce", "one", "mx.dest.test");
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(destination.SmtpPort));

        var first = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"], "first");
        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(first), 10, "first delivery");
        Assert.Single(await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 1));
        Assert.True(source.Log.Contains("certificate verified"), "the MX certificate must have been verified");
        Assert.Equal(1, fixture.Https.Requests);
        Assert.True(File.Exists(Path.Combine(source.Options.FullDataDirectory, "mta-sts", "dest.test.json")), "policy cached on disk");

        // Same TXT id: the cached policy is used, no new fetch.
        var second = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"], "second");
        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(second), 10, "second delivery");
        Assert.Equal(1, fixture.Https.Requests);

        // RFC 8461 3.1: a new id means a new policy: fetched again.
        fixture.Publish("dest.test", "enforce", "two", "*.dest.test");
        var third = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"], "third");
        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(third), 10, "third delivery");
        Assert.Equal(2, fixture.Https.Requests);
        Assert.Equal(3, (await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 3)).Count);
    }

    [Fact]
    public async Task Enforced_policy_defers_mail_for_an_MX_host_the_policy_does_not_list()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var rogue = ScriptedSmtpServer.Start("127.0.0.94");
        fixture.Dns.AddMx("dest.test", 10, "mx.rogue.test").AddA("mx.rogue.test", "127.0.0.94");
        fixture.Publish("dest.test", "enforce", "one", "mx.dest.test");
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(rogue.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"]);

        var recipient = await TlsPolicyFixture.WaitForStateAsync(source, id, RecipientState.Deferred);
        Assert.Contains("mx.rogue.test is not an MX host allowed by the MTA-STS policy of dest.test (mx: mx.dest.test)", recipient.Reason, StringComparison.Ordinal);
        Assert.Equal(0, rogue.Connections);
    }

    [Fact]
    public async Task Enforced_policy_defers_mail_for_an_MX_without_STARTTLS()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var plain = ScriptedSmtpServer.Start("127.0.0.95");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test", "127.0.0.95");
        fixture.Publish("dest.test", "enforce", "one", "mx.dest.test");
        var settings = fixture.SourceSettings(plain.Port);
        settings["Relay:DelayWarningSeconds"] = "1";
        await using var source = await RelayHarness.StartAsync(settings);

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"]);

        const string Reason = "STARTTLS is required for dest.test by the MTA-STS policy of dest.test (RFC 8461) but mx.dest.test does not offer it";
        var recipient = await TlsPolicyFixture.WaitForStateAsync(source, id, RecipientState.Deferred);
        Assert.Contains(Reason, recipient.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(plain.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));

        // The reason is what the administrator sees in tern queue show, and what the sender reads in the delay report.
        var show = await TernProcess.RunAsync(["queue", "show", id, "--data", source.Options.FullDataDirectory]);
        Assert.True(show.ExitCode == 0, show.StandardError);
        Assert.Contains(Reason, show.StandardOutput, StringComparison.Ordinal);
        await RelayHarness.WaitUntilAsync(async () => (await source.QueuedForAsync("alice@source.test")).Count > 0, 10, "delay report");
        var warning = Assert.Single(await source.QueuedForAsync("alice@source.test"));
        Assert.Contains(Reason, warning.Message.TextBody, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("other.test", false, "certificate name mismatch: the certificate of mx.dest.test is for other.test")]
    [InlineData("mx.dest.test", true, "untrusted certificate: the certificate of mx.dest.test")]
    public async Task Enforced_policy_defers_mail_when_the_MX_certificate_does_not_verify_and_says_why(string name, bool selfSigned, string reason)
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var destination = await fixture.StartDestinationAsync([name], selfSigned, "bob@dest.test");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test");
        fixture.Publish("dest.test", "enforce", "one", "mx.dest.test");
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(destination.SmtpPort));

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"]);

        var recipient = await TlsPolicyFixture.WaitForStateAsync(source, id, RecipientState.Deferred);
        Assert.Contains("TLS: " + reason, recipient.Reason, StringComparison.Ordinal);
        Assert.Empty(await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 0, TimeSpan.Zero));
    }

    [Fact]
    public async Task Testing_policy_only_logs_and_delivers_anyway()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var plain = ScriptedSmtpServer.Start("127.0.0.96");
        fixture.Dns.AddMx("dest.test", 10, "mx.elsewhere.test").AddA("mx.elsewhere.test", "127.0.0.96");
        fixture.Publish("dest.test", "testing", "one", "mx.dest.test");
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(plain.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"]);

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery");
        Assert.Single(plain.Accepted);
        Assert.True(source.Log.Contains("in testing mode: delivery via mx.elsewhere.test would fail"));
    }

    [Fact]
    public async Task TLS_Required_No_header_delivers_despite_an_enforced_policy()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var plain = ScriptedSmtpServer.Start("127.0.0.97");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test", "127.0.0.97");
        fixture.Publish("dest.test", "enforce", "one", "mx.dest.test");
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(plain.Port));

        // RFC 8689 5: the sender asks that the recipient's TLS policy be ignored for this message.
        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"], "report\r\nTLS-Required: No");

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery");
        Assert.Single(plain.Accepted);
    }

    [Fact]
    public async Task Policy_fetch_failure_without_a_cached_policy_delivers_as_without_MTA_STS()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var plain = ScriptedSmtpServer.Start("127.0.0.98");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test", "127.0.0.98");
        fixture.Dns.AddTxt("_mta-sts.dest.test", "v=STSv1; id=one"); // TXT but no policy file: 404
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(plain.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"]);

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery");
        Assert.True(source.Log.Contains("MTA-STS policy of dest.test could not be fetched"));
        Assert.True(source.Log.Contains("answered HTTP 404"));
    }
}
