using System.Diagnostics;
using System.Globalization;
using Tern.Bench.Measure;

namespace Tern.Bench;

/// <summary>SMTP throughput measured with Postfix's own client, <c>smtp-source</c>, the same for every server:
/// <c>smtp-source -s SESSIONS -m N -l SIZE -f from@bench.test -t USER 127.0.0.1:PORT</c>.</summary>
public static class BenchSmtpSource
{
    /// <returns>Accepted messages per second: N divided by the time until smtp-source has had every 250.</returns>
    public static async Task<double> RunAsync(BenchTarget target, int messages, int sessions, int size, CancellationToken cancellationToken)
    {
        var source = Shell.Find("smtp-source")
            ?? throw new MissingException("smtp-source is not installed (it comes with Postfix; bench/run installs it)");
        var watch = Stopwatch.StartNew();
        var result = await Shell.RunAsync(source,
        [
            "-s", sessions.ToString(CultureInfo.InvariantCulture),
            "-m", messages.ToString(CultureInfo.InvariantCulture),
            "-l", size.ToString(CultureInfo.InvariantCulture),
            "-f", $"from@{MailboxSpec.Domain}",
            "-t", target.User,
            $"{target.Host}:{target.Port}",
        ], timeout: TimeSpan.FromMinutes(5), cancellationToken: cancellationToken);
        watch.Stop();
        // smtp-source reports a refused message on stderr ("smtp-source: fatal: ... 550 ...") and may still exit 0.
        if (!result.Ok || !string.IsNullOrWhiteSpace(result.Error))
            throw new InvalidOperationException($"smtp-source: {result.LastLine()}");
        return messages / watch.Elapsed.TotalSeconds;
    }
}
