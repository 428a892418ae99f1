using System.Diagnostics;
using System.Text;

namespace Tern.Bench.Measure;

/// <summary>The outcome of a finished child process.</summary>
public sealed record ShellResult(int ExitCode, string Output, string Error)
{
    public bool Ok => ExitCode == 0;

    /// <summary>The last non-empty line of stderr (or stdout), for a one-line reason in the results.</summary>
    public string LastLine()
    {
        var text = string.IsNullOrWhiteSpace(Error) ? Output : Error;
        return text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? $"exit code {ExitCode}";
    }
}

/// <summary>Runs child processes without a shell (arguments are passed as a list, never re-parsed).</summary>
public static class Shell
{
    public static async Task<ShellResult> RunAsync(
        string file, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null,
        IDictionary<string, string>? environment = null, CancellationToken cancellationToken = default)
    {
        var start = new ProcessStartInfo(file)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
            start.Environment[key] = value;

        using var process = new Process { StartInfo = start };
        var output = new StringBuilder();
        var error = new StringBuilder();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (error) error.AppendLine(e.Data); };
        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return new ShellResult(127, "", $"{file}: {ex.Message}");
        }
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout ?? TimeSpan.FromMinutes(5));
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            try { process.Kill(entireProcessTree: true); } catch (InvalidOperationException) { }
            await process.WaitForExitAsync(CancellationToken.None);
            if (cancellationToken.IsCancellationRequested)
                throw;
            return new ShellResult(124, output.ToString(), error + $"{file}: timed out after {timeout}");
        }
        return new ShellResult(process.ExitCode, output.ToString(), error.ToString());
    }

    /// <summary>The full path of a program, looked up in PATH and the sbin folders Debian puts server tools in.</summary>
    public static string? Find(string program)
    {
        var folders = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
        foreach (var folder in folders)
        {
            var path = Path.Combine(folder, program);
            if (File.Exists(path))
                return path;
        }
        return null;
    }
}
