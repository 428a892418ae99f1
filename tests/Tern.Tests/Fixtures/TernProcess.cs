using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Tern.Tests.Fixtures;

/// <summary>The real <c>tern</c> executable as a subprocess: one-shot CLI commands, or <c>tern run</c> that can be
/// stopped with SIGTERM or killed with SIGKILL (crash tests).</summary>
public sealed partial class TernProcess : IAsyncDisposable
{
    readonly Process process;
    readonly ConcurrentQueue<string> output = new();
    readonly ConcurrentDictionary<string, int> ports = new();

    TernProcess(Process process)
    {
        this.process = process;
    }

    /// <summary>The apphost built next to the test assembly (the test project references src/Tern).</summary>
    public static string ExecutablePath => Path.Combine(AppContext.BaseDirectory, OperatingSystem.IsWindows() ? "tern.exe" : "tern");

    public IReadOnlyCollection<string> Output => output;
    public int Id => process.Id;
    public bool HasExited => process.HasExited;

    public sealed record Result(int ExitCode, string StandardOutput, string StandardError);

    /// <summary>Runs one command to its end (30 s at most) and returns its exit code and output.</summary>
    public static async Task<Result> RunAsync(IEnumerable<string> args, string? standardInput = null, string? workingDirectory = null)
    {
        using var p = Start(args, workingDirectory);
        if (standardInput is not null)
            await p.StandardInput.WriteAsync(standardInput);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tern {string.Join(' ', args)} did not finish in 30 s");
        }
        return new Result(p.ExitCode, await stdout, await stderr);
    }

    /// <summary>Starts <c>tern run</c> with the given data folder and settings, every listener on 127.0.0.1:0 unless
    /// <paramref name="settings"/> says otherwise, and waits until every listener has logged its port.</summary>
    public static async Task<TernProcess> StartServerAsync(string dataDirectory, IDictionary<string, string?>? settings = null)
    {
        var all = TernTestServer.DefaultSettings(dataDirectory);
        foreach (var (k, v) in settings ?? new Dictionary<string, string?>())
            all[k] = v;
        all.Remove("DataDirectory");
        var args = new List<string> { "run", "--data", dataDirectory };
        foreach (var (k, v) in all)
        {
            if (v is null) continue;
            args.Add("--set");
            args.Add($"{k}={v}");
        }
        var p = Start(args, null);
        p.StandardInput.Close();
        var server = new TernProcess(p);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnLine(string? line)
        {
            if (line is null) { started.TrySetResult(); return; }
            server.output.Enqueue(line);
            var m = ListeningPattern().Match(line);
            if (m.Success)
                server.ports[m.Groups["role"].Value] = int.Parse(m.Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (line.Contains("Application started", StringComparison.Ordinal) || line.Contains("started; serving", StringComparison.Ordinal))
                started.TrySetResult();
        }
        p.OutputDataReceived += (_, e) => OnLine(e.Data);
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) server.output.Enqueue(e.Data); };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var done = await Task.WhenAny(started.Task, Task.Delay(TimeSpan.FromSeconds(30)));
        if (done != started.Task || p.HasExited)
        {
            var log = string.Join(Environment.NewLine, server.output);
            await server.DisposeAsync();
            throw new InvalidOperationException("tern run did not start:" + Environment.NewLine + log);
        }
        // Listening lines are written when the host has started; give the logger a moment to flush them.
        for (int i = 0; i < 50 && server.ports.IsEmpty; i++)
            await Task.Delay(20);
        return server;
    }

    public int PortOf(string role) =>
        ports.TryGetValue(role, out var port) ? port : throw new InvalidOperationException($"no listener {role}: " + string.Join(", ", ports.Keys));

    /// <summary>SIGKILL: the process dies at once, as in a power cut of the process.</summary>
    public async Task KillAsync()
    {
        if (!process.HasExited)
            process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    /// <summary>SIGTERM, as systemd or Ctrl-C would; returns the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
            await kill.WaitForExitAsync();
        using var cts = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(cts.Token);
        return process.ExitCode;
    }

    static Process Start(IEnumerable<string> args, string? workingDirectory)
    {
        var info = new ProcessStartInfo(ExecutablePath)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Path.GetTempPath(),
        };
        foreach (var a in args)
            info.ArgumentList.Add(a);
        // The console logger must not wait for a terminal; and no inherited TERN_* setting may leak in.
        foreach (var key in info.Environment.Keys.Where(k => k.StartsWith("TERN_", StringComparison.Ordinal)).ToList())
            info.Environment.Remove(key);
        info.Environment["DOTNET_NOLOGO"] = "1";
        return Process.Start(info) ?? throw new InvalidOperationException("cannot start tern");
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        catch (InvalidOperationException) { }
        process.Dispose();
    }

    [GeneratedRegex(@"(?<role>[a-z0-9-]+) listening on (?<addr>\S+):(?<port>\d+)")]
    private static partial Regex ListeningPattern();
}
