using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.3.2 SELECT and 6.3.3 EXAMINE, with RFC 7162 CONDSTORE and QRESYNC parameters.</summary>
static class SelectCommand
{
    public static Task<ImapResult> SelectAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken) =>
        OpenAsync(session, request, readOnly: false, cancellationToken);

    public static Task<ImapResult> ExamineAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken) =>
        OpenAsync(session, request, readOnly: true, cancellationToken);

    static async Task<ImapResult> OpenAsync(ImapSession session, ImapRequest request, bool readOnly, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        var parameters = SyncParameters.ReadSelect(args);
        args.ExpectEnd();
        // RFC 7162 3.2.5: QRESYNC without ENABLE QRESYNC first is a BAD.
        if (parameters.Qresync is not null && !session.QresyncEnabled)
            return ImapResult.Bad("QRESYNC parameter needs ENABLE QRESYNC first");
        if (parameters.Condstore)
            session.EnableCondstore();
        var account = session.Account!;

        // RFC 9051 6.3.2: selecting deselects the current mailbox first, even if the new SELECT fails;
        // RFC 7162 3.2.11 / RFC 9051 7.1: the [CLOSED] code tells the client where the old mailbox's responses end.
        if (session.Selected is not null)
        {
            session.Unselect();
            await session.WriteLineAsync("* OK [CLOSED] Previous mailbox closed", cancellationToken).ConfigureAwait(false);
        }

        var info = await account.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false);
        if (info is null)
            return ImapResult.No("No such mailbox", "NONEXISTENT");
        if (info.NoSelect)
            return ImapResult.No("Mailbox cannot be selected", "CANNOT");

        // Selected first, so changes arriving while the messages load are queued, not lost.
        var selected = new SelectedMailbox(info, readOnly);
        session.Select(selected);
        // UIDs, keywords and the first unseen only: no row object per message, so a 100,000-message mailbox opens fast.
        var view = await account.GetMailboxViewAsync(info.Id, cancellationToken).ConfigureAwait(false);
        long recentFrom = long.MaxValue;
        int recentCount = 0;
        if (!readOnly)
            recentFrom = await account.ClaimRecentAsync(info.Id, cancellationToken).ConfigureAwait(false);
        else
            recentCount = (await account.GetStatusAsync(name, cancellationToken).ConfigureAwait(false)).Recent;
        selected.Load(view.Uids, recentFrom);
        if (!readOnly)
            recentCount = selected.RecentCount;

        var flags = FlagText.SystemFlags + string.Concat(view.Keywords.Select(k => " " + k));
        session.WriteBuffered($"* FLAGS ({flags})");
        session.WriteBuffered($"* {view.Uids.Count} EXISTS");
        if (!session.Rev2Enabled)
        {
            // RFC 3501 7.3.2 RECENT and the UNSEEN code are gone in IMAP4rev2 (RFC 9051 Appendix E).
            session.WriteBuffered($"* {recentCount} RECENT");
            int firstUnseen = view.FirstUnseenUid is { } unseenUid ? selected.SeqOf(unseenUid) : 0;
            if (firstUnseen > 0)
                session.WriteBuffered($"* OK [UNSEEN {firstUnseen}] First unseen message");
        }
        session.WriteBuffered(readOnly
            ? "* OK [PERMANENTFLAGS ()] No permanent flags in a read-only mailbox"
            : $"* OK [PERMANENTFLAGS ({flags} \\*)] Flags permitted");
        session.WriteBuffered($"* OK [UIDVALIDITY {info.UidValidity}] UIDs valid");
        session.WriteBuffered($"* OK [UIDNEXT {info.UidNext}] Predicted next UID");
        // RFC 7162 3.1.2.1: sent on every SELECT/EXAMINE, since every mailbox keeps MODSEQs (so never [NOMODSEQ]).
        session.WriteBuffered($"* OK [HIGHESTMODSEQ {info.HighestModSeq}] Highest");
        session.WriteBuffered($"* OK [MAILBOXID ({ObjectIds.MailboxId(info)})] Ok"); // RFC 8474 4.3
        if (session.Rev2Enabled)
        {
            // RFC 9051 6.3.2: a LIST response with the mailbox name is required.
            session.Writer.Raw("* LIST () \"/\" ").Mailbox(info.Name).Crlf();
        }
        if (parameters.Qresync is { } qresync && qresync.UidValidity == info.UidValidity)
            await QresyncResponder.WriteAsync(session, selected, qresync, cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok($"{request.Name} completed", readOnly ? "READ-ONLY" : "READ-WRITE");
    }
}
