using Tern.Configuration;
using Tern.Delivery.Dsn;
using Tern.Delivery.Remote;
using Tern.Queue;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>The relay's rules without a network where none is needed, and the DSN parameters on the wire.</summary>
public sealed class RelayRulesTests
{
    [Fact]
    public void Retry_delay_doubles_from_the_first_delay_up_to_the_maximum_and_stops_at_the_lifetime()
    {
        var schedule = new RetrySchedule(new RelayOptions { FirstRetryDelaySeconds = 300, MaxRetryDelaySeconds = 4 * 3600, MaxQueueLifetimeSeconds = 5 * 86400 });
        Assert.Equal([5, 10, 20, 40, 80, 160, 240, 240], Enumerable.Range(1, 8).Select(n => (int)schedule.DelayAfter(n).TotalMinutes));
        var arrived = new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero);
        Assert.Equal(arrived.AddMinutes(10), schedule.NextAttempt(arrived, 1, arrived.AddMinutes(5)));
        // The last retry is pulled in to the expiry; after it, the recipient fails for good.
        Assert.Equal(arrived.AddDays(5), schedule.NextAttempt(arrived, 30, arrived.AddDays(5).AddMinutes(-1)));
        Assert.Null(schedule.NextAttempt(arrived, 31, arrived.AddDays(5)));
    }

    [Theory]
    [InlineData(250, "2.1.5 Ok", RemoteOutcome.Delivered, "2.1.5")]
    [InlineData(451, "4.7.1 greylisted", RemoteOutcome.Deferred, "4.7.1")]
    [InlineData(550, "5.1.1 no such user", RemoteOutcome.Failed, "5.1.1")]
    [InlineData(550, "no such user", RemoteOutcome.Failed, "5.0.0")]
    [InlineData(550, "4.1.1 contradicts its code", RemoteOutcome.Failed, "5.0.0")]
    [InlineData(354, "go on", RemoteOutcome.Deferred, "4.0.0")]
    [InlineData(999, "garbage", RemoteOutcome.Deferred, "4.0.0")]
    public void Reply_codes_map_to_outcomes_and_enhanced_status(int code, string text, RemoteOutcome outcome, string status)
    {
        Assert.Equal(outcome, SmtpStatus.OutcomeOf(code));
        Assert.Equal(status, SmtpStatus.EnhancedOf(code, text));
    }

    [Theory]
    [InlineData("", "Failed", true)]
    [InlineData("", "Delayed", true)]
    [InlineData("", "Relayed", false)]
    [InlineData("NEVER", "Failed", false)]
    [InlineData("SUCCESS", "Failed", false)]
    [InlineData("SUCCESS,FAILURE", "Relayed", true)]
    [InlineData("FAILURE", "Delayed", false)]
    [InlineData("DELAY", "Delayed", true)]
    public void NOTIFY_decides_which_reports_are_sent(string notify, string action, bool wanted) =>
        Assert.Equal(wanted, DsnSender.Wants(notify.Split(',', StringSplitOptions.RemoveEmptyEntries), Enum.Parse<DsnAction>(action)));

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1 53")]
    [InlineData("127.0.0.1:5353", "127.0.0.1 5353")]
    [InlineData("[::1]:5353", "::1 5353")]
    [InlineData("::1", "::1 53")]
    public void DNS_servers_accept_an_optional_port(string text, string endPoint)
    {
        var server = MxResolver.ParseNameServer(text);
        Assert.Equal(endPoint, $"{server.Address} {server.Port}");
    }

    [Fact]
    public async Task DSN_parameters_are_passed_on_and_NOTIFY_NEVER_suppresses_the_bounce()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = ScriptedSmtpServer.Start("127.0.0.51");
        server.RcptReply = a => a.StartsWith("gone", StringComparison.Ordinal) ? "550 5.1.1 gone" : "250 2.1.5 Ok";
        dns.AddMx("params.test", 10, "mx.params.test").AddA("mx.params.test", "127.0.0.51");
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, server.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["sam@params.test", "gone@params.test"], envelope: e =>
        {
            e.Sender.EnvId = "xyz-1";
            e.Sender.Ret = "FULL";
            e.Recipients[0].Notify = ["SUCCESS", "FAILURE"];
            e.Recipients[1].Notify = ["NEVER"];
        });

        await RelayHarness.WaitUntilAsync(() => source.IsInBad(id), 10, "bad folder");
        Assert.Contains(server.Commands, c => c.StartsWith("MAIL FROM:<alice@source.test>", StringComparison.Ordinal)
            && c.Contains("ENVID=xyz-1", StringComparison.Ordinal) && c.Contains("RET=FULL", StringComparison.Ordinal));
        Assert.Contains(server.Commands, c => c.StartsWith("RCPT TO:<sam@params.test>", StringComparison.Ordinal)
            && c.Contains("NOTIFY=SUCCESS,FAILURE", StringComparison.Ordinal) && c.Contains("ORCPT=rfc822;sam@params.test", StringComparison.Ordinal));
        Assert.Contains(server.Commands, c => c.StartsWith("RCPT TO:<gone@params.test> NOTIFY=NEVER", StringComparison.Ordinal));
        // The next hop speaks DSN, so it reports success itself; gone@ asked for no report.
        Assert.Empty(await source.QueuedForAsync("alice@source.test"));
    }

    [Fact]
    public async Task A_bounce_that_bounces_goes_to_the_postmaster_never_to_the_null_sender()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddNullMx("void.test");
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, 2525));

        var bounce = await source.EnqueueAsync("", ["someone@void.test"], subject: "Undelivered Mail Returned to Sender");

        await RelayHarness.WaitUntilAsync(() => source.IsInBad(bounce), 10, "bad folder");
        var report = Assert.Single(await source.QueuedForAsync("postmaster@source.test"));
        Assert.Equal("Postmaster Copy: Undelivered Mail", report.Message.Subject);
        // Reports go out from <>, so a failure of this one is again a postmaster matter, never a loop to a sender.
        Assert.Equal("", report.Envelope.Sender.Address);
        Assert.Single(await source.Queue.ListAsync());
    }
}
