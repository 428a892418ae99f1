using System.Diagnostics;
using Tern.Bench.Measure;

namespace Tern.Bench.Servers;

/// <summary>Dovecot from Debian, run in the foreground with <c>dovecot -F -c FILE</c>: POP3 and IMAP on 127.0.0.1
/// ports of their own, users in a passwd-file (SHA512-CRYPT, Dovecot's usual scheme), mail in the shared Maildir.
/// The machine's /etc/dovecot and ports 110/143 are never touched.</summary>
public sealed class DovecotBenchServer(string workDir, BenchMaildir maildir, int pop3Port, int imapPort, string? installProblem) : BenchServer
{
    readonly string dir = Path.Combine(workDir, "dovecot");
    Process? process;

    public override string Name => "Dovecot";

    public override int? PortOf(BenchService service) => service switch
    {
        BenchService.Pop3 => pop3Port,
        BenchService.Imap => imapPort,
        _ => null,
    };

    public override IReadOnlyCollection<int> ProcessIds => process is { HasExited: false } ? [process.Id] : [];

    string ConfigFile => Path.Combine(dir, "dovecot.conf");
    string LogFile => Path.Combine(dir, "dovecot.log");

    public override async Task StartAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken)
    {
        var dovecot = Shell.Find("dovecot");
        if (dovecot is null || !File.Exists("/usr/lib/dovecot/imap") || !File.Exists("/usr/lib/dovecot/pop3"))
        {
            Missing = installProblem ?? "Dovecot (dovecot-imapd, dovecot-pop3d) is not installed (bench/run installs it with apt-get)";
            return;
        }
        foreach (var port in new[] { pop3Port, imapPort })
        {
            if (await AnswersAsync(port, TimeSpan.FromMilliseconds(300)))
            {
                Missing = $"port {port} is already in use by another program";
                return;
            }
        }
        var version = await Shell.RunAsync(dovecot, ["--version"], cancellationToken: cancellationToken);
        Version = version.Ok ? $"Dovecot {version.Output.Trim().Split(' ')[0]}" : "Dovecot";

        Directory.CreateDirectory(Path.Combine(dir, "run"));
        Directory.CreateDirectory(Path.Combine(dir, "state"));
        var hash = await Shell.RunAsync("doveadm", ["pw", "-s", "SHA512-CRYPT", "-p", Password], cancellationToken: cancellationToken);
        if (!hash.Ok)
        {
            Missing = $"doveadm pw failed: {hash.LastLine()}";
            return;
        }
        await File.WriteAllLinesAsync(Path.Combine(dir, "users"), mailboxes.Select(m =>
            $"{m.Address}:{hash.Output.Trim()}:{BenchMaildir.MailUid}:{BenchMaildir.MailGid}::{maildir.PathOf(m)}::"), cancellationToken);
        await File.WriteAllTextAsync(ConfigFile, Config(), cancellationToken);

        var start = new ProcessStartInfo(dovecot) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-F", "-c", ConfigFile })
            start.ArgumentList.Add(arg);
        process = Process.Start(start)!;
        var errors = new System.Text.StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (errors) errors.AppendLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!await WaitForPortsAsync([pop3Port, imapPort], TimeSpan.FromSeconds(20), () => !process.HasExited, cancellationToken))
        {
            string why;
            lock (errors)
                why = errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "";
            Missing = process.HasExited
                ? $"Dovecot exited with code {process.ExitCode}: {why}"
                : $"Dovecot does not answer on {pop3Port}/{imapPort} (see {LogFile})";
            await StopAsync();
        }
    }

    string Config() => $$"""
        # Written by Tern's bench harness; loopback only, ports and folders of its own. See bench/README.md.
        base_dir = {{dir}}/run
        state_dir = {{dir}}/state
        instance_name = tern-bench
        log_path = {{LogFile}}
        protocols = imap pop3
        listen = 127.0.0.1
        ssl = no
        disable_plaintext_auth = no
        auth_mechanisms = plain login
        mail_location = maildir:~/
        pop3_uidl_format = %08Xu%08Xv
        # The harness opens hundreds of sessions of one user from one address.
        mail_max_userip_connections = 100000
        default_process_limit = 2000
        default_client_limit = 10000
        default_vsz_limit = 1G
        passdb {
          driver = passwd-file
          args = scheme=SHA512-CRYPT {{dir}}/users
        }
        userdb {
          driver = passwd-file
          args = {{dir}}/users
        }
        service imap-login {
          inet_listener imap {
            address = 127.0.0.1
            port = {{imapPort}}
          }
          inet_listener imaps {
            port = 0
          }
        }
        service pop3-login {
          inet_listener pop3 {
            address = 127.0.0.1
            port = {{pop3Port}}
          }
          inet_listener pop3s {
            port = 0
          }
        }
        service imap {
          process_limit = 2000
        }
        service pop3 {
          process_limit = 200
        }
        """ + "\n";

    /// <summary>Saves <paramref name="message"/> into the user's INBOX with <c>doveadm save</c>, one process per
    /// message (that is the tool: it reads one message from stdin), until <paramref name="count"/> are saved or the
    /// budget is spent. Dovecot's default mail_fsync=optimized fsyncs each saved file.</summary>
    /// <returns>Messages saved per second.</returns>
    public async Task<double> SaveAsync(string user, string message, int count, TimeSpan budget, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        int saved = 0;
        while (saved < count && watch.Elapsed < budget)
        {
            var result = await Shell.RunAsync("doveadm", ["-c", ConfigFile, "save", "-u", user, "-m", "INBOX"], message, TimeSpan.FromSeconds(30), cancellationToken: cancellationToken);
            if (!result.Ok)
                throw new InvalidOperationException($"doveadm save failed: {result.LastLine()}");
            saved++;
        }
        return saved / watch.Elapsed.TotalSeconds;
    }

    public override async Task StopAsync()
    {
        if (process is null)
            return;
        if (!process.HasExited)
        {
            // SIGTERM to the master stops every child; the kill is only for a master that hangs.
            await Shell.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
        }
        process.Dispose();
        process = null;
    }
}
