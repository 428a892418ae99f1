using System.Diagnostics;
using Tern.Store;

namespace Tern.Bench;

/// <summary>Tern's parse-once-at-delivery step (<see cref="MessageAnalyzer"/>: sizes, line counts, part offsets,
/// ENVELOPE and BODYSTRUCTURE data) over the corpus, in this process: the work every delivery and APPEND pays.</summary>
public static class BenchAnalyzerWorkload
{
    /// <returns>Megabytes (10^6 octets) of messages analysed per second, on one thread.</returns>
    public static Task<double> RunAsync(BenchContext context, MailboxSpec corpus, CancellationToken cancellationToken)
    {
        var messages = Enumerable.Range(0, corpus.Messages).Select(i => BenchCorpus.Message(corpus, i)).ToArray();
        long bytes = 0;
        var watch = Stopwatch.StartNew();
        int next = 0;
        while (watch.Elapsed < context.Duration)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var message = messages[next++ % messages.Length];
            using var stream = new MemoryStream(message, writable: false);
            var structure = MessageAnalyzer.Analyze(stream);
            GC.KeepAlive(structure);
            bytes += message.Length;
        }
        return Task.FromResult(bytes / 1e6 / watch.Elapsed.TotalSeconds);
    }
}
