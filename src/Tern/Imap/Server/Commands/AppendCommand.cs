using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.3.12 APPEND with UIDPLUS APPENDUID (RFC 4315), BINARY literal8 (RFC 3516), APPENDLIMIT
/// (RFC 7889) and MULTIAPPEND (RFC 3502). The message literals were already streamed to temporary files by the framer
/// when large, so every message of a MULTIAPPEND is at hand before the first one is stored.</summary>
/// <remarks><code>append = "APPEND" SP mailbox 1*append-message    ; RFC 3502
/// append-message = [SP flag-list] [SP date-time] SP literal</code></remarks>
static class AppendCommand
{
    sealed record Message(MessageFlags Flags, IReadOnlyCollection<string> Keywords, DateTimeOffset? Date, ImapLiteral Literal);

    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        var messages = new List<Message>();
        do
        {
            args.Space();
            messages.Add(ReadMessage(args));
        }
        while (!args.AtEnd);
        if (messages.Any(m => m.Literal.Length == 0))
            return ImapResult.No("Empty message", "CANNOT");

        var account = session.Account!;
        var mailbox = await account.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false);
        if (mailbox is null || mailbox.NoSelect)
            return ImapResult.No("No such mailbox", "TRYCREATE"); // RFC 9051 6.3.12
        if (messages.Count > 1)
        {
            // RFC 3502 6.3.11: all or none. Refuse up front what is known to fail (quota), so that the undo below is only
            // needed for a failure in the middle (disk full, a concurrent append taking the last of the quota).
            var quota = await account.GetQuotaAsync(cancellationToken).ConfigureAwait(false);
            long total = messages.Sum(m => m.Literal.Length);
            if ((quota.StorageLimitBytes is { } bytes && quota.StorageUsedBytes + total > bytes)
                || (quota.MessageLimit is { } count && quota.MessageCount + messages.Count > count))
                return ImapResult.No("The messages would exceed the quota", "OVERQUOTA");
        }

        var results = new List<AppendResult>(messages.Count);
        try
        {
            foreach (var message in messages)
                results.Add(await AppendOneAsync(account, name, message, cancellationToken).ConfigureAwait(false));
        }
        catch (MailStoreException ex)
        {
            await UndoAsync(account, results).ConfigureAwait(false);
            if (ex.Error == MailStoreError.NotFound)
                return ImapResult.No("No such mailbox", "TRYCREATE");
            throw;
        }
        catch
        {
            await UndoAsync(account, results).ConfigureAwait(false);
            throw;
        }
        var uids = SequenceSet.FormatInOrder(results.Select(r => r.Uid).ToList());
        return ImapResult.Ok("APPEND completed", $"APPENDUID {results[0].UidValidity} {uids}");
    }

    static Message ReadMessage(ImapArgumentReader args)
    {
        List<string> flags = [];
        DateTimeOffset? date = null;
        if (args.PeekIs('('))
        {
            flags = args.FlagList();
            args.Space();
        }
        if (args.PeekIs('"'))
        {
            date = args.DateTime();
            args.Space();
        }
        if (!args.PeekLiteral())
            throw new ImapParseException("Expected the message as a literal");
        var literal = args.Literal();
        var (systemFlags, keywords) = FlagText.Parse(flags);
        return new Message(systemFlags, keywords, date, literal);
    }

    static async Task<AppendResult> AppendOneAsync(IMailAccount account, string name, Message message, CancellationToken cancellationToken)
    {
        var content = message.Literal.OpenRead();
        try
        {
            return await account.AppendAsync(name, content, new AppendOptions(message.Flags, message.Keywords, message.Date), cancellationToken)
                .ConfigureAwait(false);
        }
        finally
        {
            if (message.Literal.IsInMemory)
                await content.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>RFC 3502: a MULTIAPPEND that fails part way leaves nothing behind; the messages already stored are
    /// expunged again (other sessions may see them come and go, but none stays).</summary>
    static async Task UndoAsync(IMailAccount account, List<AppendResult> results)
    {
        if (results.Count == 0)
            return;
        var set = UidSet.FromSorted(results.Select(r => r.Uid).Order().ToList());
        long mailboxId = results[0].MailboxId;
        await account.StoreFlagsAsync(mailboxId, set, new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []), CancellationToken.None)
            .ConfigureAwait(false);
        await account.ExpungeAsync(mailboxId, set, CancellationToken.None).ConfigureAwait(false);
    }
}
