using System.Diagnostics;

namespace Tern.Tests.Cli;

/// <summary>What one run of the <c>tern</c> program printed.</summary>
public sealed record TernRun(int ExitCode, string Output, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>Runs the built <c>tern</c> as a separate process (<c>dotnet tern.dll</c>, copied next to the test
/// assembly by the project reference) in a temporary folder with its own data folder, as an admin would.</summary>
public sealed class TernProcess : IDisposable
{
    public TernProcess()
    {
        WorkingDirectory = Path.Combine(Path.GetTempPath(), "tern-cli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(WorkingDirectory);
        DataDirectory = Path.Combine(WorkingDirectory, "data");
    }

    public string WorkingDirectory { get; }
    public string DataDirectory { get; }

    /// <summary>Runs <c>tern --data DIR ARGS</c>, with cheap password hashing, feeding <paramref name="stdin"/>.</summary>
    public Task<TernRun> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public async Task<TernRun> RunWithInputAsync(string? stdin, params string[] args)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            WorkingDirectory = WorkingDirectory,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "tern.dll"));
        start.ArgumentList.Add("--data");
        start.ArgumentList.Add(DataDirectory);
        start.ArgumentList.Add("--set");
        start.ArgumentList.Add("Auth:PasswordIterations=1000");
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("TERN_", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        start.Environment["DOTNET_NOLOGO"] = "1";

        using var process = Process.Start(start) ?? throw new InvalidOperationException("could not start tern");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (stdin is not null)
            await process.StandardInput.WriteAsync(stdin);
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tern {string.Join(' ', args)} did not finish in 60 s");
        }
        return new TernRun(process.ExitCode, await output, await error);
    }

    /// <summary>The dotnet host running this test, so the subprocess uses the same runtime.</summary>
    static string DotnetHost()
    {
        var fromEnvironment = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH");
        if (!string.IsNullOrEmpty(fromEnvironment) && File.Exists(fromEnvironment))
            return fromEnvironment;
        var current = Environment.ProcessPath;
        if (current is not null && Path.GetFileNameWithoutExtension(current).Equals("dotnet", StringComparison.OrdinalIgnoreCase))
            return current;
        return "dotnet";
    }

    public void Dispose()
    {
        try { Directory.Delete(WorkingDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
