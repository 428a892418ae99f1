using Tern.Pop3.Protocol;
using Tern.Store;

namespace Tern.Pop3.Server;

/// <summary>The maildrop of one POP3 session: INBOX as it was when the session locked it, numbered 1..n, with the
/// session's deletion marks. Holds the exclusive maildrop lock until disposed.</summary>
/// <remarks>
/// RFC 1939 4: the listing is fixed for the session; messages that delivery or IMAP add meanwhile appear in the
/// next session. Sizes are <see cref="MessageInfo.Size"/>, the octets of the stored message with CRLF line ends:
/// RFC 1939 11 says lines starting with the termination octet "need not (and must not) be counted twice", which is
/// also what Dovecot reports. See docs/POP3.md.
/// </remarks>
sealed class Pop3Maildrop : IAsyncDisposable
{
    readonly IAsyncDisposable maildropLock;
    readonly IReadOnlyList<MessageInfo> messages;
    readonly bool[] deleted;
    readonly bool[] seen;
    int deletedCount;
    long deletedOctets;
    bool disposed;

    Pop3Maildrop(IMailAccount account, MailboxInfo mailbox, IAsyncDisposable maildropLock, IReadOnlyList<MessageInfo> messages)
    {
        Account = account;
        Mailbox = mailbox;
        this.maildropLock = maildropLock;
        this.messages = messages;
        deleted = new bool[messages.Count];
        seen = new bool[messages.Count];
        for (int i = 0; i < messages.Count; i++)
        {
            seen[i] = (messages[i].Flags & MessageFlags.Seen) != 0;
            TotalOctets += messages[i].Size;
        }
    }

    public IMailAccount Account { get; }
    public MailboxInfo Mailbox { get; }

    /// <summary>Messages in the listing, deleted ones included (message numbers run 1..<see cref="Count"/>).</summary>
    public int Count => messages.Count;

    /// <summary>RFC 1939 5 (STAT): messages marked as deleted are not counted.</summary>
    public int LiveCount => messages.Count - deletedCount;
    public long LiveOctets => TotalOctets - deletedOctets;
    long TotalOctets { get; }

    /// <summary>Locks INBOX for this session, then takes the listing. Null when another session holds the lock
    /// (the account handle is then released).</summary>
    public static async Task<Pop3Maildrop?> OpenAsync(IMailStore store, long accountId, CancellationToken cancellationToken)
    {
        var account = await store.OpenAccountAsync(accountId, cancellationToken).ConfigureAwait(false);
        IAsyncDisposable? maildropLock = null;
        try
        {
            var inbox = await account.GetMailboxAsync("INBOX", cancellationToken).ConfigureAwait(false)
                ?? throw new Pop3CommandException("the maildrop (INBOX) does not exist", Pop3ResponseCode.SysPerm);
            maildropLock = await account.TryLockMaildropAsync(inbox.Id, cancellationToken).ConfigureAwait(false);
            if (maildropLock is null)
            {
                await account.DisposeAsync().ConfigureAwait(false);
                return null;
            }
            // Taken under the lock, so no other POP3 session can expunge behind this listing.
            var messages = await account.GetMessagesAsync(inbox.Id, null, cancellationToken).ConfigureAwait(false);
            return new Pop3Maildrop(account, inbox, maildropLock, messages);
        }
        catch
        {
            if (maildropLock is not null)
                await maildropLock.DisposeAsync().ConfigureAwait(false);
            await account.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The message with this number; refused when there is none or it is marked as deleted
    /// (RFC 1939 5: "may NOT refer to a message marked as deleted").</summary>
    public MessageInfo Get(int number)
    {
        if (number < 1 || number > messages.Count)
            throw new Pop3CommandException($"no such message, only {messages.Count} messages in maildrop");
        if (deleted[number - 1])
            throw new Pop3CommandException($"message {number} already deleted");
        return messages[number - 1];
    }

    public bool IsDeleted(int number) => deleted[number - 1];

    public MessageInfo this[int number] => messages[number - 1];

    public void MarkDeleted(int number)
    {
        var message = Get(number);
        deleted[number - 1] = true;
        deletedCount++;
        deletedOctets += message.Size;
    }

    /// <summary>RFC 1939 5 (RSET): unmarks every message marked as deleted.</summary>
    public void Reset()
    {
        Array.Clear(deleted);
        deletedCount = 0;
        deletedOctets = 0;
    }

    readonly List<long> pendingSeen = [];

    /// <summary>Messages retrieved but not yet stored as \Seen.</summary>
    public int PendingSeenCount => pendingSeen.Count;

    /// <summary>Notes that a message was retrieved; it is stored as \Seen by <see cref="FlushSeenAsync"/>.</summary>
    public void MarkRetrieved(int number)
    {
        if (seen[number - 1])
            return;
        seen[number - 1] = true;
        pendingSeen.Add(messages[number - 1].Uid);
    }

    /// <summary>Stores \Seen on every message retrieved since the last flush, in one index transaction.</summary>
    public async Task FlushSeenAsync(CancellationToken cancellationToken)
    {
        if (pendingSeen.Count == 0)
            return;
        pendingSeen.Sort();
        var set = UidSet.FromSorted(pendingSeen);
        pendingSeen.Clear();
        await Account.StoreFlagsAsync(Mailbox.Id, set, new FlagChange(FlagOperation.Add, MessageFlags.Seen, []), cancellationToken)
            .ConfigureAwait(false);
    }

    /// <summary>RFC 1939 6: the UPDATE state removes exactly the messages this session marked, by UID, and nothing
    /// that IMAP flagged \Deleted meanwhile. Returns the number of messages removed.</summary>
    public async Task<int> CommitDeletionsAsync(CancellationToken cancellationToken)
    {
        if (deletedCount == 0)
            return 0;
        var uids = new List<long>(deletedCount);
        for (int i = 0; i < messages.Count; i++)
        {
            if (deleted[i])
                uids.Add(messages[i].Uid);
        }
        var set = UidSet.FromSorted(uids);
        await Account.StoreFlagsAsync(Mailbox.Id, set, new FlagChange(FlagOperation.Add, MessageFlags.Deleted, []), cancellationToken)
            .ConfigureAwait(false);
        var expunged = await Account.ExpungeAsync(Mailbox.Id, set, cancellationToken).ConfigureAwait(false);
        return expunged.Count;
    }

    /// <summary>Releases the lock and the account; no deletion happens here (a dropped session deletes nothing).</summary>
    public async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        try
        {
            await maildropLock.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await Account.DisposeAsync().ConfigureAwait(false);
        }
    }
}
