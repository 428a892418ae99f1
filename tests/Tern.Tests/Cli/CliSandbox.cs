using Tern.Tests.Fixtures;

namespace Tern.Tests.Cli;

/// <summary>What one run of the <c>tern</c> program printed.</summary>
public sealed record TernRun(int ExitCode, string Output, string Error)
{
    public string[] ErrorLines => Error.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Error}";
}

/// <summary>A temporary working folder with its own data folder, in which the built <c>tern</c> runs as a
/// separate process (<see cref="TernProcess"/>), as an admin would run it; password hashing is made cheap.</summary>
public sealed class CliSandbox : IDisposable
{
    public CliSandbox()
    {
        WorkingDirectory = Path.Combine(Path.GetTempPath(), "tern-cli-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(WorkingDirectory);
        DataDirectory = Path.Combine(WorkingDirectory, "data");
    }

    public string WorkingDirectory { get; }
    public string DataDirectory { get; }

    /// <summary>Runs <c>tern --data DIR --set Auth:PasswordIterations=1000 ARGS</c>.</summary>
    public Task<TernRun> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    public async Task<TernRun> RunWithInputAsync(string? stdin, params string[] args)
    {
        string[] all = ["--data", DataDirectory, "--set", "Auth:PasswordIterations=1000", .. args];
        var result = await TernProcess.RunAsync(all, stdin, WorkingDirectory);
        return new TernRun(result.ExitCode, result.StandardOutput, result.StandardError);
    }

    public void Dispose()
    {
        try { Directory.Delete(WorkingDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
