using Tern.Queue;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>Configured policies: smarthost routing, required TLS, delay warnings.</summary>
public sealed class RelayPolicyTests
{
    [Fact]
    public async Task Smarthost_replaces_MX_routing()
    {
        await using var dns = TestDnsServer.Start(); // knows no domain at all
        await using var smarthost = ScriptedSmtpServer.Start("127.0.0.91");
        var settings = RelayHarness.FastSettings(dns, 2525);
        settings["Relay:Smarthost"] = $"127.0.0.91:{smarthost.Port}";
        await using var source = await RelayHarness.StartAsync(settings);

        var id = await source.EnqueueAsync("alice@source.test", ["tom@anywhere.test", "uma@elsewhere.test"]);

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery through the smarthost");
        Assert.Equal(2, smarthost.Accepted.Count);
        Assert.Equal(0, dns.Queries);
    }

    [Fact]
    public async Task Domain_that_requires_TLS_is_deferred_when_STARTTLS_is_not_offered()
    {
        await using var dns = TestDnsServer.Start();
        await using var plain = ScriptedSmtpServer.Start("127.0.0.92");
        dns.AddMx("secure.test", 10, "mx.secure.test").AddA("mx.secure.test", "127.0.0.92");
        var settings = RelayHarness.FastSettings(dns, plain.Port);
        settings["Relay:RequireTlsDomains:0"] = "secure.test";
        await using var source = await RelayHarness.StartAsync(settings);

        var id = await source.EnqueueAsync("alice@source.test", ["vera@secure.test"]);

        QueueRecipient? recipient = null;
        await RelayHarness.WaitUntilAsync(async () => (recipient = (await source.EnvelopeAsync(id))?.Recipients[0])?.State == RecipientState.Deferred, 10, "deferral");
        Assert.Contains("STARTTLS is required for secure.test", recipient!.Reason, StringComparison.Ordinal);
        Assert.Empty(plain.Accepted);
        Assert.DoesNotContain(plain.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Sender_is_warned_once_when_a_message_is_delayed()
    {
        await using var dns = TestDnsServer.Start();
        await using var busy = ScriptedSmtpServer.Start("127.0.0.93");
        busy.RcptReply = _ => "452 4.2.2 mailbox full, try later";
        dns.AddMx("full.test", 10, "mx.full.test").AddA("mx.full.test", "127.0.0.93");
        var settings = RelayHarness.FastSettings(dns, busy.Port);
        settings["Relay:DelayWarningSeconds"] = "1";
        await using var source = await RelayHarness.StartAsync(settings);

        var id = await source.EnqueueAsync("alice@source.test", ["walt@full.test"]);

        await RelayHarness.WaitUntilAsync(async () => (await source.EnvelopeAsync(id))?.Recipients[0].Attempts >= 3, 15, "three attempts");
        var warning = Assert.Single(await source.QueuedForAsync("alice@source.test"));
        Assert.Equal("Delayed Mail (still being retried)", warning.Message.Subject);
        var status = Assert.IsType<MimeKit.MessageDeliveryStatus>(Assert.IsType<MimeKit.MultipartReport>(warning.Message.Body)[1]);
        Assert.Equal("delayed", status.StatusGroups[1]["Action"]);
        Assert.Equal("4.2.2", status.StatusGroups[1]["Status"]);
        Assert.NotNull(status.StatusGroups[1]["Will-Retry-Until"]);
        Assert.True(source.IsInQueue(id));
    }
}
