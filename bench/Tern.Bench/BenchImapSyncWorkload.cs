using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Tern.Bench;

/// <summary>Issue 9's resynchronisation bar: a client that knows the mailbox up to some MODSEQ reselects it with
/// QRESYNC (RFC 7162 3.2.5) after another session changed the flags of 1,000 messages; the server should send only
/// those 1,000 FETCH responses.</summary>
public static partial class BenchImapSyncWorkload
{
    const int Changes = 1_000;
    /// <summary>Rounds so far per server, for a keyword of each round's own.</summary>
    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, int> rounds = new();

    /// <returns>Milliseconds from the reselect command to its tagged OK.</returns>
    public static async Task<double> QresyncReselectAsync(BenchTarget target, CancellationToken cancellationToken)
    {
        await using var watcher = await BenchImapSession.LoginAsync(target, cancellationToken);
        if (!watcher.Has("QRESYNC"))
            throw new MissingException($"{target.Server} does not offer QRESYNC");
        Require(await watcher.CommandAsync("ENABLE QRESYNC", cancellationToken), "ENABLE QRESYNC");
        var select = await watcher.SelectAsync("INBOX", cancellationToken);
        long uidValidity = Code(select, UidValidityPattern()), highestModSeq = Code(select, HighestModSeqPattern());
        long messages = watcher.Exists;
        Require(await watcher.CommandAsync("UNSELECT", cancellationToken), "UNSELECT");

        // Another session changes 1,000 messages spread over the mailbox.
        await using (var changer = await BenchImapSession.LoginAsync(target, cancellationToken))
        {
            await changer.SelectAsync("INBOX", cancellationToken);
            long step = Math.Max(1, messages / Changes);
            var set = string.Join(',', Enumerable.Range(0, (int)Math.Min(Changes, messages)).Select(i => (1 + i * step).ToString(CultureInfo.InvariantCulture)));
            // A keyword new to every message in each round: all 1,000 change, whatever other workloads did to their flags.
            var round = rounds.AddOrUpdate(target.Server, 1, (_, n) => n + 1);
            Require(await changer.CommandAsync($"STORE {set} +FLAGS.SILENT ($QresyncRound{round})", cancellationToken), "STORE");
        }

        var watch = Stopwatch.StartNew();
        var reselect = await watcher.CommandAsync($"SELECT INBOX (QRESYNC ({uidValidity} {highestModSeq}))", cancellationToken);
        var elapsed = watch.Elapsed.TotalMilliseconds;
        Require(reselect, "SELECT (QRESYNC)");
        int fetches = reselect.Untagged.Count(l => FetchPattern().IsMatch(l));
        // Only the changes: a server that resends every message's flags does not meet the bar, whatever its speed.
        if (fetches < Math.Min(Changes, messages) || fetches > Changes + 10)
            throw new InvalidOperationException($"QRESYNC reselect sent {fetches} FETCH responses for {Changes} changes");
        return elapsed;
    }

    static void Require(BenchImapResponse response, string what)
    {
        if (!response.Ok)
            throw new InvalidOperationException($"IMAP {what}: {response.Status} {response.Text}");
    }

    static long Code(BenchImapResponse response, Regex pattern)
    {
        foreach (var line in response.Untagged.Append(response.Text))
        {
            var match = pattern.Match(line);
            if (match.Success)
                return long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        }
        throw new InvalidOperationException($"SELECT: no {pattern} in the response");
    }

    [GeneratedRegex(@"\[UIDVALIDITY (\d+)\]")]
    private static partial Regex UidValidityPattern();

    [GeneratedRegex(@"\[HIGHESTMODSEQ (\d+)\]")]
    private static partial Regex HighestModSeqPattern();

    [GeneratedRegex(@"^\d+ FETCH ")]
    private static partial Regex FetchPattern();
}
