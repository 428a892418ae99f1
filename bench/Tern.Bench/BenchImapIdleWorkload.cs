using Tern.Bench.Measure;

namespace Tern.Bench;

/// <summary>Many authenticated sessions sitting in IDLE (RFC 2177), as mail clients leave them all day.</summary>
public static class BenchImapIdleWorkload
{
    /// <returns>The server's resident memory (sum of VmRSS over its processes, MB of 2^20 octets) with every
    /// session logged in, INBOX selected and IDLE started.</returns>
    public static async Task<double> RunAsync(BenchTarget target, int sessions, CancellationToken cancellationToken)
    {
        var open = new BenchImapSession?[sessions];
        var tags = new string?[sessions];
        try
        {
            using (var gate = new SemaphoreSlim(25))
            {
                await Task.WhenAll(Enumerable.Range(0, sessions).Select(async i =>
                {
                    await gate.WaitAsync(cancellationToken);
                    try
                    {
                        open[i] = await BenchImapSession.LoginAsync(target, cancellationToken);
                        await open[i]!.SelectAsync("INBOX", cancellationToken);
                        tags[i] = await open[i]!.StartIdleAsync(cancellationToken);
                    }
                    finally { gate.Release(); }
                }));
            }
            // Let the servers settle (lazy allocations, login processes handing over) before measuring.
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            MemorySnapshot memory = target.Memory();
            if (memory.Processes == 0)
                throw new InvalidOperationException("the server has no process to measure");
            return memory.RssBytes / 1048576.0;
        }
        finally
        {
            await Task.WhenAll(open.Select(async (s, i) =>
            {
                if (s is null)
                    return;
                try
                {
                    if (tags[i] is not null)
                    {
                        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                        await s.StopIdleAsync(tags[i]!, cts.Token);
                    }
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException or InvalidOperationException)
                {
                }
                await s.DisposeAsync();
            }));
        }
    }
}
