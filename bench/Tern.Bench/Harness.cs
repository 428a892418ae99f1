using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Tern.Bench.Measure;
using Tern.Bench.Servers;

namespace Tern.Bench;

/// <summary>Runs a whole comparison: starts Tern and the reference servers, runs every workload against each,
/// interleaved (A B A B), and stops them, whatever happens.</summary>
public sealed class Harness(BenchOptions options, TextWriter progress)
{
    readonly BenchContext context = new(options.Quick, options.Duration, options.WorkDir);

    /// <summary>Longest a single round may take before it counts as failed (a server that stopped answering); a
    /// thousand logins into a multi-process server take minutes on a busy 2-core machine.</summary>
    TimeSpan RoundTimeout => TimeSpan.FromMinutes(options.Quick ? 3 : 10);

    public async Task<BenchReport> RunAsync(CancellationToken cancellationToken)
    {
        var report = new BenchReport { Options = options, Started = DateTimeOffset.UtcNow };
        var workloads = Workloads.All(context)
            .Where(w => options.Only.Count == 0 || options.Only.Any(o => w.Name.Contains(o, StringComparison.OrdinalIgnoreCase)))
            .ToList();
        var mailboxes = workloads.Where(w => w.Service is not null && w.Mailbox is not null).Select(w => w.Mailbox!)
            .DistinctBy(m => m.Name).ToList();
        var (postfixProblem, dovecotProblem) = ReadInstallStatus();
        mailboxesToStart = mailboxes;
        stopToken = cancellationToken;
        Directory.CreateDirectory(options.WorkDir);

        int[] ternPorts = options.TernPorts.Select(p => p == 0 ? FreePort() : p).ToArray();
        var tern = new TernBenchServer(options.TernPath, options.WorkDir, ternPorts[0], ternPorts[1], ternPorts[2]);
        BenchMaildir? maildir = null;
        PostfixBenchServer? postfix = null;
        SinkBenchServer? sink = null;
        DovecotBenchServer? dovecot = null;
        var servers = new List<BenchServer> { tern };
        if (!options.TernOnly)
        {
            maildir = new BenchMaildir(Path.Combine(options.WorkDir, "maildir"));
            postfix = new PostfixBenchServer(options.WorkDir, maildir, options.PostfixPorts[0], postfixProblem);
            sink = new SinkBenchServer(options.PostfixPorts[1], postfixProblem);
            dovecot = new DovecotBenchServer(options.WorkDir, maildir, options.DovecotPorts[0], options.DovecotPorts[1], dovecotProblem);
            servers.AddRange([postfix, sink, dovecot]);
        }
        foreach (var server in servers)
            server.Progress = line => Progress($"  {server.Name}: {line}");

        try
        {
            // Tern and the references get ready side by side: their set-up (users, maildrops) is not measured.
            await Task.WhenAll(StartAsync([tern], null), StartAsync(servers.Skip(1).ToList(), maildir));
            foreach (var server in servers.Where(s => s.Version is not null))
                report.Versions.Add(server.Version!);
            if (tern.AccountsProblem is not null)
                Progress($"  Tern: {tern.AccountsProblem}");
            if (tern.StoreProblem is not null)
                Progress($"  Tern: {tern.StoreProblem}");

            report.Rows.Add(await MeasureAtRestAsync(tern, postfix, dovecot, cancellationToken));
            foreach (var workload in workloads)
            {
                Progress($"workload: {workload.Name}");
                if (workload.RunInProcessMany is not null)
                {
                    report.Rows.AddRange(await RunInProcessManyAsync(workload, cancellationToken));
                    continue;
                }
                report.Rows.Add(workload.Service is null
                    ? await RunInProcessAsync(workload, cancellationToken)
                    : await RunNetworkAsync(workload, tern, workload.Service == BenchService.Smtp ? postfix : dovecot,
                        workload.WithCeiling ? sink : null, cancellationToken));
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                try { await server.StopAsync(); }
                catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
                {
                    Progress($"stopping {server.Name}: {ex.Message}");
                }
            }
        }
        report.Finished = DateTimeOffset.UtcNow;
        report.LoadAtEnd = MachineInfo.LoadAverage();
        return report;
    }

    /// <summary>Starts servers one after the other; the reference servers first get the shared Maildir.</summary>
    async Task StartAsync(IReadOnlyList<BenchServer> servers, BenchMaildir? maildir)
    {
        if (servers.Count == 0)
            return;
        if (maildir is not null)
        {
            Progress($"writing {mailboxesToStart.Sum(m => m.Messages):N0} messages into the reference Maildir");
            try
            {
                await maildir.CreateAsync(mailboxesToStart, stopToken);
            }
            catch (MissingException ex)
            {
                foreach (var server in servers)
                    server.MarkMissing(ex.Message);
            }
        }
        foreach (var server in servers.Where(s => s.Missing is null))
        {
            Progress($"starting {server.Name}");
            await server.StartAsync(mailboxesToStart, stopToken);
            Progress(server.Missing is null ? $"{server.Name} is up" : $"  {server.Name}: missing: {server.Missing}");
        }
    }

    IReadOnlyList<MailboxSpec> mailboxesToStart = [];
    CancellationToken stopToken;

    (string? Postfix, string? Dovecot) ReadInstallStatus()
    {
        if (options.InstallStatusFile is null || !File.Exists(options.InstallStatusFile))
            return (null, null);
        var lines = File.ReadAllLines(options.InstallStatusFile);
        return (lines.FirstOrDefault(l => l.StartsWith("postfix", StringComparison.Ordinal)),
                lines.FirstOrDefault(l => l.StartsWith("dovecot", StringComparison.Ordinal)));
    }

    static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>Resident memory with every listener up and nothing to do: Tern (one process, every protocol)
    /// against Postfix and Dovecot together.</summary>
    async Task<RowResult> MeasureAtRestAsync(TernBenchServer tern, BenchServer? postfix, BenchServer? dovecot, CancellationToken cancellationToken)
    {
        var workload = new Workload { Name = "Resident memory at rest, every listener up", Unit = "MB", HigherIsBetter = false };
        var ternResult = new ServerResult("Tern");
        var reference = new ServerResult("Postfix + Dovecot");
        if (tern.Missing is not null)
            ternResult.Missing = tern.Missing;
        if (options.TernOnly)
            reference.Missing = "not run (--tern-only)";
        else if (postfix?.Missing is not null || dovecot?.Missing is not null)
            reference.Missing = postfix?.Missing ?? dovecot?.Missing;
        for (int i = 0; i < 3; i++)
        {
            await Task.Delay(300, cancellationToken);
            if (ternResult.Missing is null)
                Record(ternResult, tern.Memory());
            if (reference.Missing is null)
                Record(reference, Sum(postfix!.Memory(), dovecot!.Memory()));
        }
        Progress($"  at rest: Tern {Cell(ternResult, workload)}; Postfix + Dovecot {Cell(reference, workload)}");
        return new RowResult(workload, ternResult, reference, null);

        static void Record(ServerResult result, MemorySnapshot memory)
        {
            result.Samples.Add(memory.RssBytes / 1048576.0);
            result.PeakMemory = MemorySnapshot.Max(result.PeakMemory, memory);
        }

        static MemorySnapshot Sum(MemorySnapshot a, MemorySnapshot b) =>
            new(a.RssBytes + b.RssBytes, a.PssBytes + b.PssBytes, a.Processes + b.Processes);
    }

    async Task<RowResult> RunInProcessAsync(Workload workload, CancellationToken cancellationToken)
    {
        var result = new ServerResult("Tern");
        var row = new RowResult(workload, result, null, null);
        for (int round = 1; round <= options.Rounds && result.Missing is null; round++)
        {
            try
            {
                var value = await workload.RunInProcess!(context, cancellationToken);
                result.Samples.Add(value);
                Progress($"  Tern      round {round}: {Format(value)} {workload.Unit}");
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                result.Missing = ex is MissingException ? ex.Message : $"failed: {ex.GetBaseException().Message}";
            }
        }
        return row;
    }

    async Task<IReadOnlyList<RowResult>> RunInProcessManyAsync(Workload workload, CancellationToken cancellationToken)
    {
        var figures = new Dictionary<string, (string Unit, List<double> Samples)>();
        string? missing = null;
        int rounds = Math.Min(options.Rounds, workload.MaxRounds ?? int.MaxValue);
        for (int round = 1; round <= rounds && missing is null; round++)
        {
            try
            {
                foreach (var (name, value, unit) in await workload.RunInProcessMany!(context, cancellationToken))
                {
                    if (!figures.TryGetValue(name, out var figure))
                        figures[name] = figure = (unit, []);
                    figure.Samples.Add(value);
                    Progress($"  Tern      round {round}: {name}: {Format(value)} {unit}");
                }
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                missing = ex is MissingException ? ex.Message : $"failed: {ex.GetBaseException().Message}";
                Progress($"  Tern      {missing}");
            }
        }
        if (missing is not null && figures.Count == 0)
            return [new RowResult(workload with { Unit = "—" }, new ServerResult("Tern") { Missing = missing }, null, null)];
        return figures.Select(f =>
        {
            var result = new ServerResult("Tern") { Missing = missing };
            result.Samples.AddRange(f.Value.Samples);
            var row = workload with { Name = $"{workload.Name}: {f.Key}", Unit = f.Value.Unit, HigherIsBetter = f.Value.Unit is not ("ms" or "MB" or "s") };
            return new RowResult(row, result, null, null);
        }).ToList();
    }

    async Task<RowResult> RunNetworkAsync(Workload workload, TernBenchServer tern, BenchServer? reference, BenchServer? ceiling, CancellationToken cancellationToken)
    {
        var service = workload.Service!.Value;
        var ternResult = new ServerResult(tern.Name);
        var referenceResult = new ServerResult(reference?.Name ?? (service == BenchService.Smtp ? "Postfix" : "Dovecot"));
        var ceilingResult = workload.WithCeiling ? new ServerResult("smtp-sink") : null;

        ternResult.Missing = await TernMissingAsync(tern, service, workload.Mailbox);
        if (reference is null)
            referenceResult.Missing = "not run (--tern-only)";
        else
            referenceResult.Missing = reference.Missing;
        if (ceilingResult is not null)
            ceilingResult.Missing = ceiling is null ? "not run (--tern-only)" : ceiling.Missing;

        var participants = new List<(BenchServer Server, ServerResult Result)>();
        if (ternResult.Missing is null) participants.Add((tern, ternResult));
        if (referenceResult.Missing is null) participants.Add((reference!, referenceResult));
        if (ceilingResult is { Missing: null }) participants.Add((ceiling!, ceilingResult));
        foreach (var result in new[] { ternResult, referenceResult, ceilingResult })
        {
            if (result?.Missing is not null)
                Progress($"  {result.Server,-9} missing: {result.Missing}");
        }

        await SettleAsync(cancellationToken);
        if (workload.Warmup)
        {
            foreach (var (server, result) in participants)
                await RunRoundAsync(workload, server, result, record: false, round: 0, cancellationToken);
        }
        // Interleaved: Tern, reference, (ceiling), Tern, reference... so that drift hits every server alike.
        int rounds = Math.Min(options.Rounds, workload.MaxRounds ?? int.MaxValue);
        for (int round = 1; round <= rounds; round++)
        {
            foreach (var (server, result) in participants)
            {
                if (result.Missing is null)
                    await RunRoundAsync(workload, server, result, record: true, round, cancellationToken);
            }
        }
        return new RowResult(workload, ternResult, referenceResult, ceilingResult);
    }

    /// <summary>Writes every dirty page back (sync(1)) before a network row. The set-up writes gigabytes of maildrops
    /// and the rows before write messages; without this the first rows after them ran while the kernel was still writing
    /// those back, and every fsync of the row (an APPEND's, a delivery's) waited behind that traffic: in one full run both
    /// servers' rounds of the first IMAP row climbed by half from round 1 to round 5.</summary>
    async Task SettleAsync(CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false });
        if (sync is null)
            return;
        await sync.WaitForExitAsync(cancellationToken);
        if (watch.Elapsed > TimeSpan.FromSeconds(0.5))
            Progress($"  written back what was pending ({watch.Elapsed.TotalSeconds:F1} s)");
    }

    async Task<string?> TernMissingAsync(TernBenchServer tern, BenchService service, MailboxSpec? mailbox)
    {
        if (tern.Missing is not null)
            return tern.Missing;
        var port = tern.PortOf(service)!.Value;
        if (!await BenchServer.AnswersAsync(port, TimeSpan.FromSeconds(1)))
            return $"not served by Tern yet (nothing answers on 127.0.0.1:{port})";
        if (tern.AccountsProblem is not null)
            return tern.AccountsProblem;
        if (mailbox is { Messages: > 0 } && tern.StoreProblem is not null)
            return tern.StoreProblem;
        return null;
    }

    async Task RunRoundAsync(Workload workload, BenchServer server, ServerResult result, bool record, int round, CancellationToken cancellationToken)
    {
        var spec = workload.Mailbox!;
        var target = new BenchTarget(server.Name, BenchServer.Host, server.PortOf(workload.Service!.Value)!.Value,
            spec.Address, BenchServer.Password, context, server.Memory, server);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RoundTimeout);
        var sampler = new MemorySampler(() => server.ProcessIds, TimeSpan.FromMilliseconds(250));
        try
        {
            var value = await workload.RunAgainst!(target, limit.Token);
            var peak = await sampler.StopAsync();
            if (record)
            {
                result.Samples.Add(value);
                result.PeakMemory = MemorySnapshot.Max(result.PeakMemory, peak);
            }
            Progress($"  {server.Name,-9} {(record ? $"round {round}" : "warm-up")}: {Format(value)} {workload.Unit} (RSS {peak.RssBytes / 1048576.0:F0} MB)");
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            result.Missing = ex switch
            {
                MissingException => ex.Message,
                OperationCanceledException => $"failed: a round took longer than {RoundTimeout.TotalMinutes:F0} minutes",
                _ => $"failed: {ex.GetBaseException().Message}",
            };
            result.Samples.Clear();
            Progress($"  {server.Name,-9} {result.Missing}");
        }
        finally
        {
            await sampler.DisposeAsync();
            await server.WaitUntilQuietAsync(cancellationToken);
        }
    }

    readonly System.Diagnostics.Stopwatch clock = System.Diagnostics.Stopwatch.StartNew();

    void Progress(string line)
    {
        progress.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1}s] {line}");
        progress.Flush();
    }

    public static string Format(double value) => value switch
    {
        >= 100 => value.ToString("N0", CultureInfo.InvariantCulture),
        >= 10 => value.ToString("N1", CultureInfo.InvariantCulture),
        _ => value.ToString("N2", CultureInfo.InvariantCulture),
    };

    public static string Cell(ServerResult result, Workload workload)
    {
        if (result.Missing is not null)
            return $"missing: {result.Missing}";
        if (result.Samples.Count == 0)
            return "missing: no round ran";
        var stats = result.Stats;
        return result.Samples.Count == 1
            ? Format(stats.Median)
            : $"{Format(stats.Median)} ({Format(stats.Min)}–{Format(stats.Max)})";
    }
}
