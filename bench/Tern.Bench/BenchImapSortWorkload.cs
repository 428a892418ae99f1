using System.Diagnostics;

namespace Tern.Bench;

/// <summary>One SORT, THREAD or text SEARCH on a big mailbox, as a client opening a large folder sends it (issue 9:
/// SORT by date and THREAD=REFERENCES under 1 s, a rare-word body search under 200 ms once indexed).</summary>
public static class BenchImapSortWorkload
{
    /// <param name="capability">What the server must advertise for the command (null: nothing beyond IMAP4rev1).</param>
    /// <returns>Milliseconds of the second run of <paramref name="command"/>: the first builds whatever the server
    /// keeps for it (caches, an index of a mailbox it has not indexed yet) and is not counted.</returns>
    public static async Task<double> RunAsync(BenchTarget target, string command, string? capability, CancellationToken cancellationToken)
    {
        await using var session = await BenchImapSession.LoginAsync(target, cancellationToken);
        if (capability is not null && !session.Has(capability))
            throw new MissingException($"the server does not offer {capability}");
        await session.SelectAsync("INBOX", cancellationToken);
        var warm = await session.CommandAsync(command, cancellationToken);
        if (!warm.Ok)
            throw new InvalidOperationException($"{command}: {warm.Status} {warm.Text}");
        var watch = Stopwatch.StartNew();
        var response = await session.CommandAsync(command, cancellationToken);
        watch.Stop();
        if (!response.Ok)
            throw new InvalidOperationException($"{command}: {response.Status} {response.Text}");
        return watch.Elapsed.TotalMilliseconds;
    }
}
