namespace Tern.Store.FileSystem;

/// <summary>One session's view of an account: its own <see cref="Changed"/> event over the account's shared hub.</summary>
internal sealed class AccountHandle(AccountHub hub) : IMailAccount
{
    int disposed;

    public long AccountId => hub.AccountId;

    internal AccountHub Hub => hub;

    public event Action<MailboxChange>? Changed;

    internal void Raise(MailboxChange change) => Changed?.Invoke(change);

    AccountHub Live
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
            return hub;
        }
    }

    public Task<IReadOnlyList<MailboxInfo>> ListMailboxesAsync(CancellationToken cancellationToken = default) =>
        Live.ListMailboxesAsync(cancellationToken);

    public Task<MailboxInfo?> GetMailboxAsync(string name, CancellationToken cancellationToken = default) =>
        Live.GetMailboxAsync(name, cancellationToken);

    public Task<MailboxInfo> CreateMailboxAsync(string name, SpecialUse specialUse = SpecialUse.None, CancellationToken cancellationToken = default) =>
        Live.CreateMailboxAsync(name, specialUse, cancellationToken);

    public Task DeleteMailboxAsync(string name, CancellationToken cancellationToken = default) =>
        Live.DeleteMailboxAsync(name, cancellationToken);

    public Task RenameMailboxAsync(string oldName, string newName, CancellationToken cancellationToken = default) =>
        Live.RenameMailboxAsync(oldName, newName, cancellationToken);

    public Task SetSubscribedAsync(string name, bool subscribed, CancellationToken cancellationToken = default) =>
        Live.SetSubscribedAsync(name, subscribed, cancellationToken);

    public Task<IReadOnlyList<string>> ListSubscriptionsAsync(CancellationToken cancellationToken = default) =>
        Live.ListSubscriptionsAsync(cancellationToken);

    public Task<MailboxStatus> GetStatusAsync(string name, CancellationToken cancellationToken = default) =>
        Live.GetStatusAsync(name, cancellationToken);

    public Task<AppendResult> AppendAsync(string mailbox, Stream content, AppendOptions options, CancellationToken cancellationToken = default) =>
        Live.AppendAsync(mailbox, content, options, importKey: null, cancellationToken);

    public Task<QuotaInfo> GetQuotaAsync(CancellationToken cancellationToken = default) =>
        Live.GetQuotaAsync(cancellationToken);

    public Task<IReadOnlyList<MessageInfo>> GetMessagesAsync(long mailboxId, UidSet? uids = null, CancellationToken cancellationToken = default) =>
        Live.GetMessagesAsync(mailboxId, uids, cancellationToken);

    public Task<IReadOnlyList<MessageInfo>> GetChangedSinceAsync(long mailboxId, long modSeq, CancellationToken cancellationToken = default) =>
        Live.GetChangedSinceAsync(mailboxId, modSeq, cancellationToken);

    public Task<IReadOnlyList<long>> GetExpungedSinceAsync(long mailboxId, long modSeq, CancellationToken cancellationToken = default) =>
        Live.GetExpungedSinceAsync(mailboxId, modSeq, cancellationToken);

    public Task<StoreFlagsResult> StoreFlagsAsync(long mailboxId, UidSet uids, FlagChange change, CancellationToken cancellationToken = default) =>
        Live.StoreFlagsAsync(mailboxId, uids, change, cancellationToken);

    public Task<CopyResult> CopyAsync(long sourceMailboxId, UidSet uids, string destinationMailbox, CancellationToken cancellationToken = default) =>
        Live.CopyAsync(sourceMailboxId, uids, destinationMailbox, move: false, cancellationToken);

    public Task<CopyResult> MoveAsync(long sourceMailboxId, UidSet uids, string destinationMailbox, CancellationToken cancellationToken = default) =>
        Live.CopyAsync(sourceMailboxId, uids, destinationMailbox, move: true, cancellationToken);

    public Task<IReadOnlyList<long>> ExpungeAsync(long mailboxId, UidSet? uids = null, CancellationToken cancellationToken = default) =>
        Live.ExpungeAsync(mailboxId, uids, cancellationToken);

    public Task<Stream> OpenMessageAsync(long mailboxId, long uid, CancellationToken cancellationToken = default) =>
        Live.OpenMessageAsync(mailboxId, uid, cancellationToken);

    public Task<MessageStructure> GetStructureAsync(long mailboxId, long uid, CancellationToken cancellationToken = default) =>
        Live.GetStructureAsync(mailboxId, uid, cancellationToken);

    public Task<MailboxView> GetMailboxViewAsync(long mailboxId, CancellationToken cancellationToken = default) =>
        Live.GetMailboxViewAsync(mailboxId, cancellationToken);

    public Task<IReadOnlyDictionary<long, MessageStructure>> GetStructuresAsync(long mailboxId, UidSet uids, CancellationToken cancellationToken = default) =>
        Live.GetStructuresAsync(mailboxId, uids, cancellationToken);

    public Task<IReadOnlyDictionary<long, ReadOnlyMemory<byte>>> GetHeadersAsync(long mailboxId, UidSet uids, CancellationToken cancellationToken = default) =>
        Live.GetHeadersAsync(mailboxId, uids, cancellationToken);

    public Task<IReadOnlyList<UidModSeq>> SearchFlagsAsync(long mailboxId, MessageFlags required, MessageFlags excluded, CancellationToken cancellationToken = default) =>
        Live.SearchFlagsAsync(mailboxId, required, excluded, cancellationToken);

    public Task<long> ClaimRecentAsync(long mailboxId, CancellationToken cancellationToken = default) =>
        Live.ClaimRecentAsync(mailboxId, cancellationToken);

    public Task<IAsyncDisposable?> TryLockMaildropAsync(long mailboxId, CancellationToken cancellationToken = default) =>
        Live.TryLockMaildrop(this, mailboxId);

    public Task<IReadOnlySet<long>> SearchTextAsync(long mailboxId, TextSearchQuery query, CancellationToken cancellationToken = default) =>
        Live.SearchTextAsync(mailboxId, query, cancellationToken);

    public Task<IReadOnlyList<MessageSortData>> GetSortDataAsync(long mailboxId, CancellationToken cancellationToken = default) =>
        Live.GetSortDataAsync(mailboxId, cancellationToken);

    /// <summary>Import ledger: true when content with this key was already imported into the mailbox.</summary>
    internal Task<bool> WasImportedAsync(string mailbox, string key, CancellationToken cancellationToken) =>
        Live.WasImportedAsync(mailbox, key, cancellationToken);

    internal Task<AppendResult> ImportAsync(string mailbox, Stream content, AppendOptions options, string key, CancellationToken cancellationToken) =>
        Live.AppendAsync(mailbox, content, options, key, cancellationToken);

    /// <summary>Bulk loading: see <see cref="AccountHub.BulkAppendAsync"/>.</summary>
    internal Task<IReadOnlyList<long>> BulkAppendAsync(string mailbox, IEnumerable<(byte[] Content, AppendOptions Options)> messages, int batchSize, CancellationToken cancellationToken) =>
        Live.BulkAppendAsync(mailbox, messages, batchSize, cancellationToken);

    public ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 0)
            hub.Release(this);
        return ValueTask.CompletedTask;
    }
}
