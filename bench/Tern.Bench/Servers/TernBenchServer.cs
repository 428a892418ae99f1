using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Bench.Measure;
using Tern.Configuration;
using Tern.Hosting;
using Tern.Store;

namespace Tern.Bench.Servers;

/// <summary>The built <c>tern</c> program as a child process: <c>tern run --data DIR --set ...</c> with every mail
/// listener on a 127.0.0.1 port of its own, users added with the <c>tern domain/user</c> commands, and the
/// workloads' messages appended through Tern's store before it starts.</summary>
public sealed class TernBenchServer(string ternPath, string workDir, int smtpPort, int pop3Port, int imapPort) : BenchServer
{
    readonly string dataDir = Path.Combine(workDir, "tern-data");
    readonly string logFile = Path.Combine(workDir, "tern.log");
    Process? process;
    StreamWriter? log;

    public override string Name => "Tern";

    /// <summary>Why the users or their messages are not there although Tern runs (the accounts or store code has
    /// not landed yet); null when they are.</summary>
    public string? AccountsProblem { get; private set; }
    public string? StoreProblem { get; private set; }

    public override int? PortOf(BenchService service) => service switch
    {
        BenchService.Smtp => smtpPort,
        BenchService.Pop3 => pop3Port,
        BenchService.Imap => imapPort,
        _ => null,
    };

    public override IReadOnlyCollection<int> ProcessIds => process is { HasExited: false } ? [process.Id] : [];

    /// <summary>The settings both the CLI commands and the server get. Password hashing at 5,000 PBKDF2-SHA512
    /// iterations matches the work of Dovecot's SHA512-CRYPT (5,000 rounds), so logins cost both servers alike.
    /// Inbound SPF/DKIM/DMARC checks are off: the bench's Postfix runs no such milter either, and the only DNS server
    /// Tern may ask is a closed port on loopback (no traffic leaves 127.0.0.1).</summary>
    public IReadOnlyList<string> Settings =>
    [
        "HostName=tern.bench.test",
        "Log:Level=Information",
        "Log:SessionLog=false",
        "Auth:PasswordIterations=5000",
        "MailAuth:Verify=false",
        "Dns:Servers:0=127.0.0.1:9",
        "Limits:MaxConnections=20000",
        "Limits:MaxConnectionsPerIp=20000",
        $"Smtp:Mx:Listen:0={Host}:{smtpPort}",
        "Smtp:Submission:Enabled=false",
        "Smtp:Submissions:Enabled=false",
        $"Pop3:Plain:Listen:0={Host}:{pop3Port}",
        "Pop3:Tls:Enabled=false",
        $"Imap:Plain:Listen:0={Host}:{imapPort}",
        "Imap:Tls:Enabled=false",
    ];

    public override async Task StartAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken)
    {
        if (!File.Exists(ternPath))
        {
            Missing = $"the tern program is not built: {ternPath}";
            return;
        }
        foreach (var port in new[] { smtpPort, pop3Port, imapPort })
        {
            if (await AnswersAsync(port, TimeSpan.FromMilliseconds(300)))
            {
                Missing = $"port {port} is already in use by another program";
                return;
            }
        }
        Directory.CreateDirectory(dataDir);
        Version = "Tern " + (typeof(TernHost).Assembly.GetName().Version?.ToString() ?? "");

        var watch = Stopwatch.StartNew();
        await AddUsersAsync(mailboxes, cancellationToken);
        Progress(AccountsProblem ?? $"{mailboxes.Count} users added with tern domain/user add ({watch.Elapsed.TotalSeconds:F1} s)");
        if (AccountsProblem is null)
        {
            watch.Restart();
            var filled = mailboxes.Where(m => m.Messages > 0).ToList();
            await AppendMessagesAsync(filled, cancellationToken);
            Progress(StoreProblem ?? $"{filled.Sum(m => m.Messages):N0} messages appended through Tern's store ({watch.Elapsed.TotalSeconds:F1} s)");
        }

        log = new StreamWriter(logFile, append: false, Encoding.UTF8) { AutoFlush = true };
        process = StartTern(["run"]);
        process.OutputDataReceived += (_, e) => Log(e.Data);
        process.ErrorDataReceived += (_, e) => Log(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        // Tern logs "ROLE listening on ADDRESS" for every listener once started. A protocol that has not landed
        // has no listener, so wait for the ports that will answer, and not forever for the others.
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline && !process.HasExited)
        {
            if (started)
                break;
            await Task.Delay(50, cancellationToken);
        }
        if (process.HasExited)
        {
            Missing = lastError?.Contains("nothing to serve", StringComparison.Ordinal) == true
                ? "not served by Tern yet (tern run: nothing to serve, no protocol has landed)"
                : $"tern run exited with code {process.ExitCode}: {lastError ?? "(no output)"}";
            return;
        }
        if (!started)
        {
            // No listener came up at all (no protocol served yet): give the host a moment, then go on.
            await Task.Delay(1000, cancellationToken);
        }
        await WaitForPortsAsync(listening.Select(PortFromEndPoint).Where(p => p > 0), TimeSpan.FromSeconds(10), () => !process.HasExited, cancellationToken);
    }

    volatile bool started;
    string? lastError;
    readonly List<string> listening = [];

    void Log(string? line)
    {
        if (line is null)
            return;
        lock (listening)
        {
            log?.WriteLine(line);
            int at = line.IndexOf(" listening on ", StringComparison.Ordinal);
            if (at > 0)
            {
                listening.Add(line[(at + " listening on ".Length)..].Split(' ')[0]);
                started = true;
            }
            if (line.Contains("fail", StringComparison.OrdinalIgnoreCase) || line.StartsWith("tern:", StringComparison.Ordinal)
                || line.Contains("crit", StringComparison.OrdinalIgnoreCase) || line.Contains("exception", StringComparison.OrdinalIgnoreCase))
                lastError = line.Trim();
        }
    }

    static int PortFromEndPoint(string endPoint)
    {
        int colon = endPoint.LastIndexOf(':');
        return colon > 0 && int.TryParse(endPoint.AsSpan(colon + 1), out int port) ? port : 0;
    }

    Process StartTern(IEnumerable<string> command)
    {
        var start = ternPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ProcessStartInfo("dotnet") { ArgumentList = { ternPath } }
            : new ProcessStartInfo(ternPath);
        start.UseShellExecute = false;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.RedirectStandardInput = true;
        start.WorkingDirectory = workDir;
        foreach (var arg in command)
            start.ArgumentList.Add(arg);
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(dataDir);
        foreach (var setting in Settings)
        {
            start.ArgumentList.Add("--set");
            start.ArgumentList.Add(setting);
        }
        return Process.Start(start)!;
    }

    async Task<ShellResult> TernCommandAsync(string[] command, string? input, CancellationToken cancellationToken)
    {
        var args = new List<string>();
        string file = ternPath;
        if (ternPath.EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            file = "dotnet";
            args.Add(ternPath);
        }
        args.AddRange(command);
        args.AddRange(["--data", dataDir]);
        foreach (var setting in Settings)
            args.AddRange(["--set", setting]);
        return await Shell.RunAsync(file, args, input, TimeSpan.FromSeconds(60), cancellationToken: cancellationToken);
    }

    /// <summary><c>tern domain add bench.test</c>, then <c>tern user add ADDRESS --password-stdin</c> per user.</summary>
    async Task AddUsersAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken)
    {
        var domain = await TernCommandAsync(["domain", "add", MailboxSpec.Domain], null, cancellationToken);
        if (!domain.Ok)
        {
            AccountsProblem = $"tern domain add failed: {domain.LastLine()}";
            return;
        }
        // One process per user, side by side: each is mostly .NET start-up.
        var added = await Task.WhenAll(mailboxes.Select(mailbox =>
            TernCommandAsync(["user", "add", mailbox.Address, "--password-stdin"], Password + "\n", cancellationToken)));
        var failed = added.FirstOrDefault(r => !r.Ok);
        if (failed is not null)
            AccountsProblem = $"tern user add failed: {failed.LastLine()}";
    }

    /// <summary>Appends the workloads' messages through Tern's own store (the same code delivery uses), in this
    /// process, before the server starts; the bytes are the ones Dovecot gets as Maildir files.</summary>
    async Task AppendMessagesAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken)
    {
        if (mailboxes.Count == 0)
            return;
        var configuration = TernConfiguration.Build(null, dataDir, Settings);
        var options = TernConfiguration.Bind(configuration);
        var services = new ServiceCollection();
        services.AddLogging(l => l.SetMinimumLevel(LogLevel.Warning));
        services.AddTernCore(options);
        await using var provider = services.BuildServiceProvider();
        var accounts = provider.GetService<IAccountStore>();
        var store = provider.GetService<IMailStore>();
        if (accounts is null || store is null)
        {
            StoreProblem = "Tern's mail store is not registered yet (no IMailStore), so the maildrops cannot be filled";
            return;
        }
        try
        {
            foreach (var spec in mailboxes)
            {
                var user = await accounts.FindUserAsync(spec.Address, cancellationToken)
                    ?? throw new MissingException($"user {spec.Address} not found after tern user add");
                await using var account = await store.OpenAccountAsync(user.Id, cancellationToken);
                if (account is Tern.Store.FileSystem.AccountHandle handle)
                {
                    // The file-system store's bulk load (what its import uses): durable per batch, not per message.
                    // Setting up a 100,000-message maildrop is not what is measured.
                    await handle.BulkAppendAsync("INBOX", Enumerable.Range(0, spec.Messages)
                        .Select(i => (BenchCorpus.Message(spec, i), new AppendOptions(MessageFlags.None))), 2000, cancellationToken);
                    continue;
                }
                // Any other store: concurrent appends, as from several deliveries at once.
                await Parallel.ForEachAsync(Enumerable.Range(0, spec.Messages),
                    new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = cancellationToken }, async (i, ct) =>
                    {
                        using var content = new MemoryStream(BenchCorpus.Message(spec, i), writable: false);
                        await account.AppendAsync("INBOX", content, new AppendOptions(MessageFlags.None), ct);
                    });
            }
        }
        catch (Exception ex) when (ex is MissingException or MailStoreException or NotImplementedException or IOException or InvalidOperationException)
        {
            StoreProblem = $"filling the maildrops through Tern's store failed: {ex.Message}";
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
    }

    /// <summary>Waits until Tern's queue folder holds no message: every accepted message delivered.</summary>
    public override async Task WaitUntilQuietAsync(CancellationToken cancellationToken)
    {
        var queue = Path.Combine(dataDir, "queue");
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(120);
        while (DateTime.UtcNow < deadline && Directory.Exists(queue)
               && Directory.EnumerateFiles(queue, "*.msg", SearchOption.AllDirectories).Any())
            await Task.Delay(100, cancellationToken);
    }

    public override async Task StopAsync()
    {
        if (process is null)
            return;
        if (!process.HasExited)
        {
            // SIGTERM: Tern's graceful stop, as systemd would do it.
            await Shell.RunAsync("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            try { await process.WaitForExitAsync(cts.Token); }
            catch (OperationCanceledException) { process.Kill(entireProcessTree: true); await process.WaitForExitAsync(); }
        }
        process.Dispose();
        process = null;
        lock (listening)
        {
            log?.Dispose();
            log = null;
        }
    }
}
