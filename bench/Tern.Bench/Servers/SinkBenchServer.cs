using System.Diagnostics;
using Tern.Bench.Measure;

namespace Tern.Bench.Servers;

/// <summary>Postfix's <c>smtp-sink</c>: an SMTP server that accepts everything and writes nothing, the ceiling of
/// what this machine and this client can do.</summary>
public sealed class SinkBenchServer(int port, string? installProblem) : BenchServer
{
    Process? process;

    public override string Name => "smtp-sink";

    public override int? PortOf(BenchService service) => service == BenchService.Smtp ? port : null;

    public override IReadOnlyCollection<int> ProcessIds => process is { HasExited: false } ? [process.Id] : [];

    public override async Task StartAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken)
    {
        var sink = Shell.Find("smtp-sink");
        if (sink is null)
        {
            Missing = installProblem ?? "smtp-sink is not installed (it comes with Postfix)";
            return;
        }
        if (await AnswersAsync(port, TimeSpan.FromMilliseconds(300)))
        {
            Missing = $"port {port} is already in use by another program";
            return;
        }
        var start = new ProcessStartInfo(sink) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        // -u: smtp-sink refuses to keep root privileges; 256: the listen backlog.
        foreach (var arg in new[] { "-u", "nobody", $"{Host}:{port}", "256" })
            start.ArgumentList.Add(arg);
        process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!await WaitForPortsAsync([port], TimeSpan.FromSeconds(10), () => !process.HasExited, cancellationToken))
            Missing = process.HasExited ? $"smtp-sink exited with code {process.ExitCode}" : $"smtp-sink does not answer on {port}";
    }

    public override async Task StopAsync()
    {
        if (process is null)
            return;
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
        process.Dispose();
        process = null;
    }
}
