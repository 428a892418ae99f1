using Tern.Queue;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary><c>tern queue ...</c> as a subprocess against the data folder of a running relay.</summary>
public sealed class RelayCliTests
{
    static Task<TernProcess.Result> Tern(RelayHarness source, params string[] args) =>
        TernProcess.RunAsync([.. args, "--data", source.Options.FullDataDirectory]);

    [Fact]
    public async Task Queue_list_show_retry_delete_and_bounce_work_beside_a_running_relay()
    {
        await using var dns = TestDnsServer.Start();
        await using var server = ScriptedSmtpServer.Start("127.0.0.61");
        server.RcptReply = _ => server.Accepted.IsEmpty && server.Commands.Count(c => c.StartsWith("RCPT", StringComparison.Ordinal)) <= 2
            ? "451 4.7.1 greylisted, come back later" : "250 2.1.5 Ok";
        dns.AddMx("grey.test", 10, "mx.grey.test").AddA("mx.grey.test", "127.0.0.61");
        var settings = RelayHarness.FastSettings(dns, server.Port);
        settings["Relay:FirstRetryDelaySeconds"] = "3600";
        settings["Relay:MaxRetryDelaySeconds"] = "3600";
        await using var source = await RelayHarness.StartAsync(settings);

        var retried = await source.EnqueueAsync("alice@source.test", ["olga@grey.test"], subject: "retry me");
        var bounced = await source.EnqueueAsync("alice@source.test", ["pete@grey.test"], subject: "bounce me");
        await RelayHarness.WaitUntilAsync(async () =>
            (await source.EnvelopeAsync(retried))?.Recipients[0].State == RecipientState.Deferred
            && (await source.EnvelopeAsync(bounced))?.Recipients[0].State == RecipientState.Deferred, 10, "two deferrals");

        var list = await Tern(source, "queue", "list");
        Assert.Equal(0, list.ExitCode);
        Assert.Contains(retried, list.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("olga@grey.test (deferred)", list.StandardOutput, StringComparison.Ordinal);

        var show = await Tern(source, "queue", "show", retried);
        Assert.Equal(0, show.ExitCode);
        Assert.Contains("451 4.7.1 greylisted", show.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("Subject: retry me", show.StandardOutput, StringComparison.Ordinal);

        // The next attempt is an hour away; retry makes the running relay deliver at its next scan (1 s).
        var retry = await Tern(source, "queue", "retry", retried);
        Assert.Equal(0, retry.ExitCode);
        Assert.Contains("1 deferred recipient(s)", retry.StandardOutput, StringComparison.Ordinal);
        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(retried), 10, "delivery after retry");
        Assert.Equal(["olga@grey.test"], Assert.Single(server.Accepted).Recipients);

        var bounce = await Tern(source, "queue", "bounce", bounced);
        Assert.Equal(0, bounce.ExitCode);
        Assert.True(source.IsInBad(bounced));
        Assert.Contains("delivery cancelled by the administrator", await File.ReadAllTextAsync(Path.Combine(source.BadDirectory, bounced + ".reason")), StringComparison.Ordinal);
        var report = Assert.Single(await source.QueuedForAsync("alice@source.test"));
        Assert.Contains("pete@grey.test", report.Message.TextBody, StringComparison.Ordinal);

        var delete = await Tern(source, "queue", "delete", report.Id);
        Assert.Equal(0, delete.ExitCode);
        Assert.False(source.IsInQueue(report.Id));

        var missing = await Tern(source, "queue", "show", "../../etc/passwd");
        Assert.Equal(1, missing.ExitCode);
        Assert.Contains("is not a queue id", missing.StandardError, StringComparison.Ordinal);
    }
}
