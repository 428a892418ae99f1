using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.3.12 APPEND with UIDPLUS APPENDUID (RFC 4315), BINARY literal8 (RFC 3516), APPENDLIMIT
/// (RFC 7889), MULTIAPPEND (RFC 3502) and CATENATE (RFC 4469). The message literals were already streamed to temporary files by the framer
/// when large, so every message of a MULTIAPPEND is at hand before the first one is stored.</summary>
/// <remarks><code>append = "APPEND" SP mailbox 1*append-message    ; RFC 3502
/// append-message = [SP flag-list] [SP date-time] SP (literal / "CATENATE" SP "(" cat-part *(SP cat-part) ")")</code></remarks>
static class AppendCommand
{
    /// <param name="Literal">The message, or null when it is built with CATENATE from <paramref name="Parts"/>.</param>
    sealed record Message(MessageFlags Flags, IReadOnlyCollection<string> Keywords, DateTimeOffset? Date, ImapLiteral? Literal,
        IReadOnlyList<Catenate.Part>? Parts);

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
        if (messages.Any(m => m.Literal is { Length: 0 }))
            return ImapResult.No("Empty message", "CANNOT");

        var account = session.Account!;
        // RFC 9051 6.3.12: no such mailbox gets NO [TRYCREATE]. Checked here before CATENATE parts are fetched or several
        // messages weighed against the quota; a single plain message leaves the check to the store, which makes it
        // before it writes anything (one query on the APPEND's path instead of four).
        if (messages.Count > 1 || messages[0].Parts is not null)
        {
            var mailbox = await account.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false);
            if (mailbox is null || mailbox.NoSelect)
                return ImapResult.No("No such mailbox", "TRYCREATE");
        }

        // Every message's octets are at hand (CATENATE ones built) before the first is stored.
        var contents = new List<(Stream Stream, bool Owned)>(messages.Count);
        try
        {
            foreach (var message in messages)
            {
                if (message.Parts is { } parts)
                {
                    try
                    {
                        contents.Add((await Catenate.BuildAsync(session, parts, cancellationToken).ConfigureAwait(false), true));
                    }
                    catch (Catenate.Refused refused)
                    {
                        return refused.Result;
                    }
                }
                else
                {
                    contents.Add((message.Literal!.OpenRead(), message.Literal.IsInMemory));
                }
            }
            if (contents.Any(c => c.Stream.Length == 0))
                return ImapResult.No("Empty message", "CANNOT");
            return await StoreAllAsync(session, name, messages, contents.Select(c => c.Stream).ToList(), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            foreach (var (stream, owned) in contents)
            {
                if (owned)
                    await stream.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    static async Task<ImapResult> StoreAllAsync(ImapSession session, string name, List<Message> messages, List<Stream> contents, CancellationToken cancellationToken)
    {
        var account = session.Account!;
        if (messages.Count > 1)
        {
            // RFC 3502 6.3.11: all or none. Refuse up front what is known to fail (quota), so that the undo below is only
            // needed for a failure in the middle (disk full, a concurrent append taking the last of the quota).
            var quota = await account.GetQuotaAsync(cancellationToken).ConfigureAwait(false);
            long total = contents.Sum(c => c.Length);
            if ((quota.StorageLimitBytes is { } bytes && quota.StorageUsedBytes + total > bytes)
                || (quota.MessageLimit is { } count && quota.MessageCount + messages.Count > count))
                return ImapResult.No("The messages would exceed the quota", "OVERQUOTA");
        }

        var results = new List<AppendResult>(messages.Count);
        try
        {
            for (int i = 0; i < messages.Count; i++)
            {
                var m = messages[i];
                results.Add(await account.AppendAsync(name, contents[i], new AppendOptions(m.Flags, m.Keywords, m.Date), cancellationToken)
                    .ConfigureAwait(false));
            }
        }
        catch (MailStoreException ex)
        {
            await UndoAsync(account, results).ConfigureAwait(false);
            // NotAllowed: a \Noselect name (it holds no messages, as if absent).
            if (ex.Error is MailStoreError.NotFound or MailStoreError.NotAllowed)
                return ImapResult.No("No such mailbox", "TRYCREATE");
            throw;
        }
        catch (FormatException)
        {
            // The store's parser refused the message (e.g. no header at all); a refusal, not a session fault.
            await UndoAsync(account, results).ConfigureAwait(false);
            return ImapResult.No("The message cannot be parsed", "CANNOT");
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
        var (systemFlags, keywords) = FlagText.Parse(flags);
        if (args.TryKeyword("CATENATE"))
            return new Message(systemFlags, keywords, date, null, Catenate.Read(args)); // RFC 4469
        if (!args.PeekLiteral())
            throw new ImapParseException("Expected the message as a literal");
        return new Message(systemFlags, keywords, date, args.Literal(), null);
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
