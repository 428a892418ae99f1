using Tern.Queue;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>What the network and the peers can do wrong: the message stays queued, is retried, and the log says why;
/// at the end of its lifetime the sender gets a bounce and the entry goes to the bad folder.</summary>
public sealed class RelayBadInputTests
{
    static string Ip(int last) => $"127.0.0.{last}";

    static async Task<QueueRecipient> WaitForDeferralAsync(RelayHarness source, string id)
    {
        QueueRecipient? recipient = null;
        await RelayHarness.WaitUntilAsync(async () =>
        {
            recipient = (await source.EnvelopeAsync(id))?.Recipients[0];
            return recipient?.State == RecipientState.Deferred;
        }, 15, "deferral");
        return recipient!;
    }

    [Fact]
    public async Task Unreachable_destination_is_retried_on_schedule_then_bounced_and_moved_to_bad()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddMx("down.test", 10, "mx.down.test").AddA("mx.down.test", Ip(40)); // nothing listens there
        var settings = RelayHarness.FastSettings(dns, 2525);
        settings["Relay:MaxQueueLifetimeSeconds"] = "4";
        await using var source = await RelayHarness.StartAsync(settings);

        var id = await source.EnqueueAsync("alice@source.test", ["gina@down.test"]);

        await RelayHarness.WaitUntilAsync(() => source.IsInBad(id), 20, "bounce after the lifetime");
        var recipient = (await source.EnvelopeAsync(id))!.Recipients[0];
        Assert.Equal(RecipientState.Failed, recipient.State);
        // 1 s, 2 s, then the last try at the 4 s expiry: at least three attempts.
        Assert.InRange(recipient.Attempts, 3, 5);
        Assert.Contains("5.4.7", recipient.Reason, StringComparison.Ordinal);
        Assert.Contains("Connection refused", recipient.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.True(source.Log.Contains("deferred (attempt 1"));
        Assert.True(source.Log.Contains("deferred (attempt 2"));
        var bounce = Assert.Single(await source.QueuedForAsync("alice@source.test"));
        Assert.Equal("Undelivered Mail Returned to Sender", bounce.Message.Subject);
    }

    [Fact]
    public async Task DNS_timeout_garbage_and_MX_pointing_nowhere_keep_the_message_queued()
    {
        await using var dns = TestDnsServer.Start();
        await using var garbage = TestDnsServer.StartGarbage();
        dns.Silence("slow.test").AddMx("nowhere.test", 10, "missing.nowhere.test");
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, 2525));
        var garbageSettings = RelayHarness.FastSettings(garbage, 2525);
        await using var confused = await RelayHarness.StartAsync(garbageSettings);

        var slow = await source.EnqueueAsync("alice@source.test", ["h@slow.test"]);
        var nowhere = await source.EnqueueAsync("alice@source.test", ["i@nowhere.test"]);
        var junk = await confused.EnqueueAsync("alice@source.test", ["j@junk.test"]);

        var slowRecipient = await WaitForDeferralAsync(source, slow);
        Assert.Contains("MX lookup for slow.test failed", slowRecipient.Reason, StringComparison.Ordinal);
        var nowhereRecipient = await WaitForDeferralAsync(source, nowhere);
        Assert.Contains("missing.nowhere.test does not exist", nowhereRecipient.Reason, StringComparison.Ordinal);
        var junkRecipient = await WaitForDeferralAsync(confused, junk);
        Assert.Contains("MX lookup for junk.test failed", junkRecipient.Reason, StringComparison.Ordinal);
        Assert.True(garbage.Queries > 0);
        Assert.True(source.Log.Contains("route to slow.test"));
        Assert.True(source.Log.Contains("route to nowhere.test"));
        Assert.False(source.IsInBad(slow) || source.IsInBad(nowhere) || confused.IsInBad(junk));
    }

    [Fact]
    public async Task Peer_dropping_mid_DATA_defers_and_the_retry_delivers_once()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = ScriptedSmtpServer.Start(Ip(41));
        server.DropAfterDataLines = n => n == 0 ? 2 : null;
        dns.AddMx("flaky.test", 10, "mx.flaky.test").AddA("mx.flaky.test", Ip(41));
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, server.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["kim@flaky.test"]);

        var deferred = await WaitForDeferralAsync(source, id);
        Assert.Contains("mx.flaky.test", deferred.Reason, StringComparison.Ordinal);
        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery on retry");
        Assert.Single(server.Accepted);
        Assert.True(source.Log.Contains("connection lost during the transaction"));
    }

    [Fact]
    public async Task Stalled_greeting_and_stalled_final_reply_time_out_and_defer()
    {
        await using var dns = TestDnsServer.Start();
        await using var mute = ScriptedSmtpServer.Start(Ip(42));
        await using var slowData = ScriptedSmtpServer.Start(Ip(43), mute.Port);
        mute.Greeting = _ => null;
        slowData.DataReply = _ => null;
        dns.AddMx("mute.test", 10, "mx.mute.test").AddA("mx.mute.test", Ip(42))
            .AddMx("slowdata.test", 10, "mx.slowdata.test").AddA("mx.slowdata.test", Ip(43));
        var settings = RelayHarness.FastSettings(dns, mute.Port);
        settings["Relay:CommandTimeoutSeconds"] = "1";
        settings["Relay:DataTimeoutSeconds"] = "1";
        settings["Relay:FirstRetryDelaySeconds"] = "60";
        settings["Relay:MaxRetryDelaySeconds"] = "60";
        await using var source = await RelayHarness.StartAsync(settings);

        var a = await source.EnqueueAsync("alice@source.test", ["l@mute.test"]);
        var b = await source.EnqueueAsync("alice@source.test", ["m@slowdata.test"]);

        var greeting = await WaitForDeferralAsync(source, a);
        Assert.Contains("mx.mute.test", greeting.Reason, StringComparison.Ordinal);
        var data = await WaitForDeferralAsync(source, b);
        Assert.Contains("no answer within 1 s", data.Reason, StringComparison.Ordinal);
        Assert.Empty(slowData.Accepted);
    }

    [Fact]
    public async Task Several_messages_to_one_domain_share_one_connection()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = ScriptedSmtpServer.Start(Ip(44));
        dns.AddMx("busy.test", 10, "mx.busy.test").AddA("mx.busy.test", Ip(44));
        var settings = RelayHarness.FastSettings(dns, server.Port);
        settings["Relay:MaxConcurrentPerDomain"] = "1";
        settings["Relay:IntervalSeconds"] = "30"; // the start-up scan takes all three at once
        await using var source = await RelayHarness.StartAsync(settings, startRelay: false);
        var ids = new List<string>();
        for (int i = 0; i < 3; i++)
            ids.Add(await source.EnqueueAsync("alice@source.test", [$"n{i}@busy.test"]));

        await source.StartRelayAsync();

        await RelayHarness.WaitUntilAsync(() => ids.All(id => !source.IsInQueue(id)), 15, "three deliveries");
        Assert.Equal(3, server.Accepted.Count);
        Assert.Equal(1, server.Connections);
    }
}
