using System.Diagnostics;
using System.Globalization;

namespace Tern.Tests.Fixtures;

/// <summary>Runs a Python 3 script (the clients nobody here wrote: smtplib, imaplib, poplib, mailbox) and returns what it
/// printed. The script goes to a temporary file that is deleted afterwards; a script that outlives the timeout is killed.</summary>
public static class PythonScript
{
    public sealed record Result(int ExitCode, string Output, string Errors);

    public static async Task<Result> RunAsync(string script, IEnumerable<object> arguments, TimeSpan? timeout = null)
    {
        var file = Path.Combine(Path.GetTempPath(), $"tern-py-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(file, script);
        try
        {
            var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            info.ArgumentList.Add(file);
            foreach (var argument in arguments)
                info.ArgumentList.Add(Convert.ToString(argument, CultureInfo.InvariantCulture)!);
            using var process = Process.Start(info)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            using var cancel = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            try
            {
                await process.WaitForExitAsync(cancel.Token);
            }
            catch (OperationCanceledException)
            {
                process.Kill(entireProcessTree: true);
                throw new TimeoutException($"the Python script did not finish within {timeout ?? TimeSpan.FromSeconds(60)}: {await errors}");
            }
            return new Result(process.ExitCode, await output, await errors);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Runs the script and fails the test unless it exits with 0; returns its standard output.</summary>
    public static async Task<string> RunCheckedAsync(string script, params object[] arguments)
    {
        var result = await RunAsync(script, arguments);
        Assert.True(result.ExitCode == 0, $"python3 exited with {result.ExitCode}: {result.Errors}");
        return result.Output;
    }
}
