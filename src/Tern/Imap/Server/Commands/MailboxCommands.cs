using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.3.4 CREATE, 6.3.5 DELETE, 6.3.6 RENAME, 6.3.7 SUBSCRIBE, 6.3.8 UNSUBSCRIBE.</summary>
static class MailboxCommands
{
    public static async Task<ImapResult> CreateAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        args.ExpectEnd();
        // RFC 9051 6.3.4: a trailing separator only says the client intends to create children.
        name = name.TrimEnd(MailboxNames.Separator);
        if (name.Length == 0)
            return ImapResult.No("Empty mailbox name", "CANNOT");
        if (name == "INBOX")
            return ImapResult.No("INBOX exists", "ALREADYEXISTS");
        var created = await session.Account!.CreateMailboxAsync(name, SpecialUse.None, cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("CREATE completed", $"MAILBOXID ({ObjectIds.MailboxId(created)})"); // RFC 8474 4.1
    }

    public static async Task<ImapResult> DeleteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        args.ExpectEnd();
        if (name == "INBOX")
            return ImapResult.No("INBOX cannot be deleted", "CANNOT");
        if (await session.Account!.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false) is null)
            return ImapResult.No("No such mailbox", "NONEXISTENT");
        await session.Account.DeleteMailboxAsync(name, cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("DELETE completed");
    }

    public static async Task<ImapResult> RenameAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var from = MailboxNames.Read(args, session.Utf8Output);
        args.Space();
        var to = MailboxNames.Read(args, session.Utf8Output).TrimEnd(MailboxNames.Separator);
        args.ExpectEnd();
        if (to.Length == 0)
            return ImapResult.No("Empty mailbox name", "CANNOT");
        if (await session.Account!.GetMailboxAsync(from, cancellationToken).ConfigureAwait(false) is null)
            return ImapResult.No("No such mailbox", "NONEXISTENT");
        if (await session.Account.GetMailboxAsync(to, cancellationToken).ConfigureAwait(false) is not null)
            return ImapResult.No("Target mailbox exists", "ALREADYEXISTS");
        await session.Account.RenameMailboxAsync(from, to, cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("RENAME completed");
    }

    public static Task<ImapResult> SubscribeAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken) =>
        SetSubscribedAsync(session, request, true, cancellationToken);

    public static Task<ImapResult> UnsubscribeAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken) =>
        SetSubscribedAsync(session, request, false, cancellationToken);

    static async Task<ImapResult> SetSubscribedAsync(ImapSession session, ImapRequest request, bool subscribed, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        args.ExpectEnd();
        await session.Account!.SetSubscribedAsync(name, subscribed, cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok($"{request.Name} completed");
    }
}
