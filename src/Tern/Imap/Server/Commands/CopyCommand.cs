using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.7 COPY and RFC 6851 MOVE, with UIDPLUS COPYUID (RFC 4315 3).</summary>
static class CopyCommand
{
    public static Task<ImapResult> CopyAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken) =>
        RunAsync(session, request, move: false, cancellationToken);

    public static Task<ImapResult> MoveAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken) =>
        RunAsync(session, request, move: true, cancellationToken);

    static async Task<ImapResult> RunAsync(ImapSession session, ImapRequest request, bool move, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var set = args.SequenceSet();
        args.Space();
        var destination = MailboxNames.Read(args, session.Utf8Output);
        args.ExpectEnd();
        var selected = session.Selected!;
        var uids = selected.Resolve(set, request.Uid);
        var prefix = request.Uid ? "UID " : "";
        if (uids.Count == 0)
            return ImapResult.Ok($"{prefix}{request.Name} completed (no messages)");
        if (move && selected.ReadOnly)
            return ImapResult.No("Mailbox is read-only", "READ-ONLY");
        var account = session.Account!;
        var target = await account.GetMailboxAsync(destination, cancellationToken).ConfigureAwait(false);
        if (target is null || target.NoSelect)
            return ImapResult.No("No such mailbox", "TRYCREATE");
        CopyResult result;
        try
        {
            result = move
                ? await account.MoveAsync(selected.Id, UidSet.FromSorted(uids), destination, cancellationToken).ConfigureAwait(false)
                : await account.CopyAsync(selected.Id, UidSet.FromSorted(uids), destination, cancellationToken).ConfigureAwait(false);
        }
        catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
        {
            return ImapResult.No("No such mailbox", "TRYCREATE");
        }
        var code = result.SourceUids.Count == 0 ? null
            : $"COPYUID {result.DestinationUidValidity} {SequenceSet.FormatInOrder(result.SourceUids)} {SequenceSet.FormatInOrder(result.DestinationUids)}";
        if (!move)
            return ImapResult.Ok($"{prefix}COPY completed", code);
        // RFC 6851 3.3: COPYUID goes in an untagged OK before the EXPUNGEs.
        if (code is not null)
            session.WriteBuffered($"* OK [{code}] Moved");
        session.WriteExpunged(selected, result.SourceUids);
        return ImapResult.Ok($"{prefix}MOVE completed");
    }
}
