using MimeKit;
using Tern.Queue;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>The relay against a real DNS server on loopback and scripted SMTP servers on 127.0.0.x addresses (all on
/// one port, since Relay:Port is one number): routing order, per-recipient results, retries, DSNs, bad input.</summary>
public sealed class RelayScriptedTests
{
    static string Ip(int last) => $"127.0.0.{last}";

    [Fact]
    public async Task Lowest_preference_host_gets_the_mail_after_every_address_of_it_was_tried()
    {
        await using var dns = TestDnsServer.Start();
        await using var best = ScriptedSmtpServer.Start(Ip(21));
        await using var backup = ScriptedSmtpServer.Start(Ip(22), best.Port);
        // mx1 has two addresses; nothing listens on the first. mx2 (preference 20) must not be used.
        dns.AddMx("dest.test", 10, "mx1.dest.test").AddMx("dest.test", 20, "mx2.dest.test")
            .AddA("mx1.dest.test", Ip(20)).AddA("mx1.dest.test", Ip(21)).AddA("mx2.dest.test", Ip(22));
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, best.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"]);

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery");
        var transaction = Assert.Single(best.Accepted);
        Assert.Equal(["bob@dest.test"], transaction.Recipients);
        Assert.Contains("Hello from the relay tests.", transaction.Data, StringComparison.Ordinal);
        Assert.Equal(0, backup.Connections);
        Assert.False(source.IsInBad(id));
    }

    [Fact]
    public async Task Domain_without_MX_is_delivered_to_its_own_address()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = ScriptedSmtpServer.Start(Ip(23));
        dns.AddA("implicit.test", Ip(23));
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, server.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["carol@implicit.test"]);

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery");
        Assert.Equal(["carol@implicit.test"], Assert.Single(server.Accepted).Recipients);
    }

    [Fact]
    public async Task Null_MX_fails_at_once_with_5_1_10_and_a_bounce()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddNullMx("nomail.test").AddA("nomail.test", Ip(24));
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, 2525));

        var id = await source.EnqueueAsync("alice@source.test", ["dave@nomail.test"]);

        await RelayHarness.WaitUntilAsync(() => source.IsInBad(id), 10, "bad folder");
        var env = await source.EnvelopeAsync(id);
        var recipient = Assert.Single(env!.Recipients);
        Assert.Equal(RecipientState.Failed, recipient.State);
        Assert.Equal(1, recipient.Attempts);
        Assert.Contains("5.1.10", recipient.Reason, StringComparison.Ordinal);
        Assert.Contains("null MX", await File.ReadAllTextAsync(Path.Combine(source.BadDirectory, id + ".reason")), StringComparison.Ordinal);
        var bounce = Assert.Single(await source.QueuedForAsync("alice@source.test"));
        var report = Assert.IsType<MultipartReport>(bounce.Message.Body);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        Assert.Equal("5.1.10", status.StatusGroups[1]["Status"]);
        Assert.Equal("", bounce.Envelope.Sender.Address);
    }

    [Fact]
    public async Task Temporary_refusal_is_retried_and_then_delivered_once()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = ScriptedSmtpServer.Start(Ip(25));
        server.DataReply = n => n == 0 ? "451 4.3.0 try again later" : "250 2.0.0 Ok: queued";
        dns.AddMx("later.test", 10, "mx.later.test").AddA("mx.later.test", Ip(25));
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, server.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["erin@later.test"]);

        await RelayHarness.WaitUntilAsync(async () => (await source.EnvelopeAsync(id))?.Recipients[0].State == RecipientState.Deferred, 10, "deferral");
        var deferred = (await source.EnvelopeAsync(id))!.Recipients[0];
        Assert.Equal(1, deferred.Attempts);
        Assert.Contains("451 4.3.0 try again later", deferred.Reason, StringComparison.Ordinal);
        Assert.NotNull(deferred.NextAttempt);
        Assert.InRange(deferred.NextAttempt!.Value - deferred.LastAttempt!.Value, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(1.1));

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery on retry");
        Assert.Single(server.Accepted);
        Assert.False(source.IsInBad(id));
        Assert.Empty(await source.QueuedForAsync("alice@source.test"));
        Assert.True(source.Log.Contains("deferred (attempt 1"));
    }

    [Fact]
    public async Task One_refused_recipient_does_not_stop_the_others_and_is_bounced()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = ScriptedSmtpServer.Start(Ip(26));
        server.RcptReply = a => a.StartsWith("nobody", StringComparison.Ordinal) ? "550 5.1.1 <" + a + ">: no such user" : "250 2.1.5 Ok";
        dns.AddMx("mixed.test", 10, "mx.mixed.test").AddA("mx.mixed.test", Ip(26));
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, server.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["frank@mixed.test", "nobody@mixed.test"],
            envelope: e =>
            {
                e.Sender.EnvId = "env-42";
                e.Sender.Ret = "HDRS";
                e.Recipients[1].OriginalRecipient = "rfc822;nobody@mixed.test";
            });

        await RelayHarness.WaitUntilAsync(() => source.IsInBad(id), 10, "bad folder");
        Assert.Equal(["frank@mixed.test"], Assert.Single(server.Accepted).Recipients);
        var env = (await source.EnvelopeAsync(id))!;
        Assert.Equal(RecipientState.Delivered, env.Recipients[0].State);
        Assert.Equal(RecipientState.Failed, env.Recipients[1].State);
        var reason = await File.ReadAllTextAsync(Path.Combine(source.BadDirectory, id + ".reason"));
        Assert.Contains("<nobody@mixed.test>: 550 5.1.1", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("frank", reason, StringComparison.Ordinal);

        var bounce = Assert.Single(await source.QueuedForAsync("alice@source.test"));
        var report = Assert.IsType<MultipartReport>(bounce.Message.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var status = Assert.Single(report.OfType<MessageDeliveryStatus>());
        Assert.Equal("env-42", status.StatusGroups[0]["Original-Envelope-Id"]);
        Assert.Equal("dns; source.test", status.StatusGroups[0]["Reporting-MTA"]);
        var group = status.StatusGroups[1];
        Assert.Equal(2, status.StatusGroups.Count(g => g.Count > 0));
        Assert.Equal("rfc822; nobody@mixed.test", group["Final-Recipient"]);
        Assert.Equal("rfc822; nobody@mixed.test", group["Original-Recipient"]);
        Assert.Equal("failed", group["Action"]);
        Assert.Equal("5.1.1", group["Status"]);
        Assert.Equal("dns; mx.mixed.test", group["Remote-MTA"]);
        Assert.StartsWith("smtp; 550 5.1.1", group["Diagnostic-Code"], StringComparison.Ordinal);
        // RFC 6522: the third part returns the original header only (RET=HDRS).
        Assert.True(report[2].ContentType.IsMimeType("text", "rfc822-headers"));
        var original = Assert.IsType<TextRfc822Headers>(report[2]).Message;
        Assert.Equal("relay test", original!.Subject);
    }
}
