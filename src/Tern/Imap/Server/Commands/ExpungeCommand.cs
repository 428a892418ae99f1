using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.3 EXPUNGE and RFC 4315 2.1 UID EXPUNGE.</summary>
static class ExpungeCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        var selected = session.Selected!;
        UidSet? only = null;
        if (request.Uid)
        {
            args.Space();
            var uids = selected.Resolve(args.SequenceSet(), byUid: true);
            if (uids.Count == 0)
            {
                args.ExpectEnd();
                return ImapResult.Ok("UID EXPUNGE completed");
            }
            only = UidSet.FromSorted(uids);
        }
        args.ExpectEnd();
        if (selected.ReadOnly)
            return ImapResult.No("Mailbox is read-only", "READ-ONLY");
        var expunged = await session.Account!.ExpungeAsync(selected.Id, only, cancellationToken).ConfigureAwait(false);
        session.WriteExpunged(selected, expunged);
        return ImapResult.Ok($"{(request.Uid ? "UID " : "")}EXPUNGE completed");
    }
}
