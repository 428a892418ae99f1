using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>What a client that comes back with QRESYNC missed (RFC 7162 3.2.5.1): the UIDs expunged since its MODSEQ
/// as VANISHED (EARLIER), then the messages whose flags changed since then as FETCH (UID FLAGS MODSEQ).</summary>
static class QresyncResponder
{
    /// <summary>UIDs per VANISHED line, so a long sparse list never makes an over-long response line (RFC 7162 4).</summary>
    const int UidsPerLine = 1000;

    public static async Task WriteAsync(ImapSession session, SelectedMailbox selected, QresyncParameter qresync, CancellationToken cancellationToken)
    {
        // The store keeps an expunge record for every UID ever expunged (with its MODSEQ), so the answer is exact
        // and the seq-match data (RFC 7162 3.2.5.2, a hint for servers that forget expunges) is not needed.
        // A MODSEQ above the mailbox's HIGHESTMODSEQ (impossible, or from a lost index) simply finds nothing.
        var expunged = await session.Account!.GetExpungedSinceAsync(selected.Id, qresync.ModSeq, cancellationToken).ConfigureAwait(false);
        var vanished = expunged.Where(u => qresync.KnownUids is null || Contains(qresync.KnownUids, u)).ToList();
        WriteVanishedEarlier(session, vanished);

        // RFC 7162 3.2.5.1: flag changes only for the known UIDs when the client listed them. Read by MODSEQ (indexed),
        // so the cost follows the changes, not the mailbox size.
        var changed = await session.Account!.GetChangedSinceAsync(selected.Id, qresync.ModSeq, cancellationToken).ConfigureAwait(false);
        foreach (var info in changed)
        {
            if (info.ModSeq <= qresync.ModSeq || (qresync.KnownUids is not null && !Contains(qresync.KnownUids, info.Uid)))
                continue;
            int seq = selected.SeqOf(info.Uid);
            if (seq == 0)
                continue;
            session.WriteBuffered($"* {seq} FETCH ({session.FlagUpdateItems(info, withUid: true)})");
            await session.FlushIfLargeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>"* VANISHED (EARLIER) uids": history, so the client must not adjust message numbers (RFC 7162 3.2.10).</summary>
    public static void WriteVanishedEarlier(ImapSession session, IReadOnlyList<long> sortedUids)
    {
        for (int i = 0; i < sortedUids.Count; i += UidsPerLine)
            session.WriteBuffered("* VANISHED (EARLIER) " + SequenceSet.Format(sortedUids.Skip(i).Take(UidsPerLine)));
    }

    public static bool Contains(SequenceSet set, long value)
    {
        foreach (var (a, b) in set.Ranges)
        {
            if (value >= Math.Min(a, b) && value <= Math.Max(a, b))
                return true;
        }
        return false;
    }
}
