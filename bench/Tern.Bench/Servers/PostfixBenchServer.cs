using System.Diagnostics;
using Tern.Bench.Measure;

namespace Tern.Bench.Servers;

/// <summary>Postfix from Debian with a configuration of its own in the work folder (<c>postfix -c DIR</c>): smtpd on
/// 127.0.0.1 only, its own queue, virtual mailbox delivery into the shared Maildir. The machine's /etc/postfix and
/// port 25 are never touched.</summary>
public sealed class PostfixBenchServer(string workDir, BenchMaildir maildir, int smtpPort, string? installProblem) : BenchServer
{
    readonly string configDir = Path.Combine(workDir, "postfix", "etc");
    readonly string queueDir = Path.Combine(workDir, "postfix", "queue");
    readonly string dataDir = Path.Combine(workDir, "postfix", "data");
    readonly string logFile = Path.Combine(workDir, "postfix", "postfix.log");
    bool started;

    public override string Name => "Postfix";

    public override int? PortOf(BenchService service) => service == BenchService.Smtp ? smtpPort : null;

    /// <summary>The master daemon (a child of <c>postfix start-fg</c>) and, through it, every Postfix process. Not
    /// read from master.pid: the master holds a lock on that file that .NET's shared-read open collides with.</summary>
    public override IReadOnlyCollection<int> ProcessIds =>
        process is { HasExited: false } ? ProcessMemory.DescendantsNamed(process.Id, "master") : [];

    public override async Task StartAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken)
    {
        var postfix = Shell.Find("postfix");
        if (postfix is null || Shell.Find("smtp-source") is null)
        {
            Missing = installProblem ?? "Postfix is not installed (bench/run installs it with apt-get)";
            return;
        }
        if (await AnswersAsync(smtpPort, TimeSpan.FromMilliseconds(300)))
        {
            Missing = $"port {smtpPort} is already in use by another program";
            return;
        }
        var version = await Shell.RunAsync("postconf", ["-d", "-h", "mail_version"], cancellationToken: cancellationToken);
        Version = version.Ok ? $"Postfix {version.Output.Trim()}" : "Postfix";

        Directory.CreateDirectory(configDir);
        Directory.CreateDirectory(queueDir);
        Directory.CreateDirectory(dataDir);
        await File.WriteAllTextAsync(Path.Combine(configDir, "main.cf"), MainCf(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(configDir, "master.cf"), MasterCf(), cancellationToken);
        // texthash: maps read as plain text, no postmap needed.
        await File.WriteAllLinesAsync(Path.Combine(configDir, "vmailbox"),
            mailboxes.Select(m => $"{m.Address} {MailboxSpec.Domain}/{m.Name}/"), cancellationToken);

        // The data directory must belong to mail_owner; the queue subfolders are made by postfix itself.
        var chown = await Shell.RunAsync("chown", ["postfix", dataDir], cancellationToken: cancellationToken);
        if (!chown.Ok)
        {
            Missing = $"cannot give {dataDir} to the postfix user: {chown.LastLine()}";
            return;
        }

        // start-fg keeps the master in the foreground, a child of this process, logging to its stdout.
        var start = new ProcessStartInfo(postfix) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "-c", configDir, "start-fg" })
            start.ArgumentList.Add(arg);
        log = new StreamWriter(logFile) { AutoFlush = true };
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        started = true;
        if (!await WaitForPortsAsync([smtpPort], TimeSpan.FromSeconds(20), () => !process.HasExited, cancellationToken))
        {
            Missing = process.HasExited
                ? $"Postfix did not start: {lastLine ?? $"exit code {process.ExitCode}"}"
                : $"Postfix started but 127.0.0.1:{smtpPort} does not answer (see {logFile})";
        }
    }

    Process? process;
    StreamWriter? log;
    string? lastLine;

    void Log(string? line)
    {
        if (line is null)
            return;
        lock (logFile)
        {
            log?.WriteLine(line);
            if (line.Contains("fatal", StringComparison.Ordinal) || line.Contains("error", StringComparison.Ordinal))
                lastLine = line;
        }
    }

    string MainCf() => $"""
        # Written by Tern's bench harness; loopback only, its own queue. See bench/README.md.
        compatibility_level = 3.6
        queue_directory = {queueDir}
        data_directory = {dataDir}
        mail_owner = postfix
        setgid_group = postdrop
        maillog_file = /dev/stdout
        myhostname = postfix.bench.test
        mydomain = bench.test
        myorigin = bench.test
        mydestination =
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        mynetworks = 127.0.0.0/8
        smtpd_banner = $myhostname ESMTP
        smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination
        local_recipient_maps =
        alias_maps =
        alias_database =
        relayhost =
        biff = no
        virtual_mailbox_domains = {MailboxSpec.Domain}
        virtual_mailbox_base = {maildir.Root}
        virtual_mailbox_maps = texthash:{configDir}/vmailbox
        virtual_uid_maps = static:{BenchMaildir.MailUid}
        virtual_gid_maps = static:{BenchMaildir.MailGid}
        virtual_minimum_uid = 100
        """ + "\n";

    string MasterCf() => $"""
        # service type  private unpriv  chroot  wakeup  maxproc command
        127.0.0.1:{smtpPort} inet n - n - - smtpd
        pickup    unix  n       -       n       60      1       pickup
        cleanup   unix  n       -       n       -       0       cleanup
        qmgr      unix  n       -       n       300     1       qmgr
        rewrite   unix  -       -       n       -       -       trivial-rewrite
        bounce    unix  -       -       n       -       0       bounce
        defer     unix  -       -       n       -       0       bounce
        trace     unix  -       -       n       -       0       bounce
        verify    unix  -       -       n       -       1       verify
        flush     unix  n       -       n       1000?   0       flush
        proxymap  unix  -       -       n       -       -       proxymap
        proxywrite unix -       -       n       -       1       proxymap
        smtp      unix  -       -       n       -       -       smtp
        relay     unix  -       -       n       -       -       smtp
        showq     unix  n       -       n       -       -       showq
        error     unix  -       -       n       -       -       error
        retry     unix  -       -       n       -       -       error
        discard   unix  -       -       n       -       -       discard
        local     unix  -       n       n       -       -       local
        virtual   unix  -       n       n       -       -       virtual
        lmtp      unix  -       -       n       -       -       lmtp
        anvil     unix  -       -       n       -       1       anvil
        scache    unix  -       -       n       -       1       scache
        postlog   unix-dgram n  -       n       -       1       postlogd
        """ + "\n";

    /// <summary>Waits until the queue (maildrop, incoming, active) is empty: every accepted message delivered.</summary>
    public override async Task WaitUntilQuietAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline && QueuedFiles() > 0)
            await Task.Delay(100, cancellationToken);
    }

    int QueuedFiles()
    {
        int count = 0;
        foreach (var sub in new[] { "maildrop", "incoming", "active" })
        {
            var dir = Path.Combine(queueDir, sub);
            if (Directory.Exists(dir))
                count += Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Count();
        }
        return count;
    }

    public override async Task StopAsync()
    {
        if (!started)
            return;
        started = false;
        var postfix = Shell.Find("postfix") ?? "postfix";
        var stop = await Shell.RunAsync(postfix, ["-c", configDir, "stop"], timeout: TimeSpan.FromSeconds(30));
        if (!stop.Ok)
            await Shell.RunAsync(postfix, ["-c", configDir, "abort"], timeout: TimeSpan.FromSeconds(30));
        if (process is not null)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
            process.Dispose();
            process = null;
        }
        lock (logFile)
        {
            log?.Dispose();
            log = null;
        }
    }
}
