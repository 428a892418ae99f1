namespace Tern.Store;

/// <summary>The mail of every account. The file-system backend is the default; a PostgreSQL one comes later,
/// so nothing outside <c>Store/</c> may depend on how messages are kept.</summary>
public interface IMailStore
{
    /// <summary>Opens the mail of one account, creating it (INBOX and the RFC 6154 special-use mailboxes) on first use.
    /// The returned handle is shared by every session of the account; dispose it when the session ends.</summary>
    Task<IMailAccount> OpenAccountAsync(long accountId, CancellationToken cancellationToken = default);

    /// <summary>Removes an account's mail for good (used when a user is removed).</summary>
    Task DeleteAccountAsync(long accountId, CancellationToken cancellationToken = default);
}

/// <summary>One account's mailboxes and messages. Safe for many concurrent sessions and the delivery agent.</summary>
/// <remarks>Mailbox names use '/' as the hierarchy separator; "INBOX" is case-insensitive. Names are untrusted:
/// invalid ones throw <see cref="MailboxNameException"/>.</remarks>
public interface IMailAccount : IAsyncDisposable
{
    long AccountId { get; }

    /// <summary>Change notifications from every session and from delivery; raised after the change is committed.</summary>
    event Action<MailboxChange>? Changed;

    Task<IReadOnlyList<MailboxInfo>> ListMailboxesAsync(CancellationToken cancellationToken = default);
    Task<MailboxInfo?> GetMailboxAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Creates a mailbox (and missing parents). Throws <see cref="MailStoreException"/> with
    /// <see cref="MailStoreError.AlreadyExists"/> if it exists.</summary>
    Task<MailboxInfo> CreateMailboxAsync(string name, SpecialUse specialUse = SpecialUse.None, CancellationToken cancellationToken = default);

    /// <summary>Deletes a mailbox and its messages; a mailbox with children keeps its place as \Noselect (RFC 3501 6.3.4).
    /// INBOX cannot be deleted.</summary>
    Task DeleteMailboxAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Renames a mailbox with its children. Renaming INBOX moves its messages to the new mailbox (RFC 3501 6.3.5).</summary>
    Task RenameMailboxAsync(string oldName, string newName, CancellationToken cancellationToken = default);

    Task SetSubscribedAsync(string name, bool subscribed, CancellationToken cancellationToken = default);
    Task<IReadOnlyList<string>> ListSubscriptionsAsync(CancellationToken cancellationToken = default);

    Task<MailboxStatus> GetStatusAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>Stores a message durably (file fsynced, index committed) before returning. The content is read to its end.
    /// Throws <see cref="MailStoreException"/> with <see cref="MailStoreError.OverQuota"/> when the quota would be exceeded.</summary>
    Task<AppendResult> AppendAsync(string mailbox, Stream content, AppendOptions options, CancellationToken cancellationToken = default);

    /// <summary>RFC 9208 usage of the STORAGE and MESSAGE resources.</summary>
    Task<QuotaInfo> GetQuotaAsync(CancellationToken cancellationToken = default);

    /// <summary>Metadata of messages from the index, in ascending UID order; never opens a message file.
    /// <paramref name="uids"/> null means every message.</summary>
    Task<IReadOnlyList<MessageInfo>> GetMessagesAsync(long mailboxId, UidSet? uids = null, CancellationToken cancellationToken = default);

    /// <summary>Messages whose MODSEQ is greater than <paramref name="modSeq"/> (CONDSTORE CHANGEDSINCE).</summary>
    Task<IReadOnlyList<MessageInfo>> GetChangedSinceAsync(long mailboxId, long modSeq, CancellationToken cancellationToken = default);

    /// <summary>UIDs expunged after <paramref name="modSeq"/> (QRESYNC VANISHED (EARLIER)).</summary>
    Task<IReadOnlyList<long>> GetExpungedSinceAsync(long mailboxId, long modSeq, CancellationToken cancellationToken = default);

    /// <summary>Changes flags. With <see cref="FlagChange.UnchangedSince"/>, messages whose MODSEQ is greater are left alone
    /// and reported in <see cref="StoreFlagsResult.Modified"/> (RFC 7162 3.1.3).</summary>
    Task<StoreFlagsResult> StoreFlagsAsync(long mailboxId, UidSet uids, FlagChange change, CancellationToken cancellationToken = default);

    /// <summary>Copies messages (never rewriting their files); the result pairs source and destination UIDs for UIDPLUS.</summary>
    Task<CopyResult> CopyAsync(long sourceMailboxId, UidSet uids, string destinationMailbox, CancellationToken cancellationToken = default);

    /// <summary>Moves messages atomically (RFC 6851): copied to the destination and expunged from the source.</summary>
    Task<CopyResult> MoveAsync(long sourceMailboxId, UidSet uids, string destinationMailbox, CancellationToken cancellationToken = default);

    /// <summary>Expunges messages flagged \Deleted; only those among <paramref name="uids"/> when given (UID EXPUNGE).
    /// Returns the expunged UIDs in ascending order.</summary>
    Task<IReadOnlyList<long>> ExpungeAsync(long mailboxId, UidSet? uids = null, CancellationToken cancellationToken = default);

    /// <summary>The message exactly as stored (RFC 5322, CRLF line ends). The caller disposes the stream.</summary>
    Task<Stream> OpenMessageAsync(long mailboxId, long uid, CancellationToken cancellationToken = default);

    /// <summary>The structure parsed once at delivery: ENVELOPE, BODYSTRUCTURE and part offsets.</summary>
    Task<MessageStructure> GetStructureAsync(long mailboxId, long uid, CancellationToken cancellationToken = default);

    /// <summary>What SELECT needs of a mailbox, without a row object per message (a mailbox may hold 100,000): every
    /// UID in order, the keywords in use, and the lowest UID without \Seen. One consistent read.</summary>
    Task<MailboxView> GetMailboxViewAsync(long mailboxId, CancellationToken cancellationToken = default);

    /// <summary>The structures of several messages in one index read, by UID (a FETCH of many messages); UIDs that do
    /// not exist (any more) are absent from the result.</summary>
    Task<IReadOnlyDictionary<long, MessageStructure>> GetStructuresAsync(long mailboxId, UidSet uids, CancellationToken cancellationToken = default);

    /// <summary>Claims \Recent (RFC 3501 2.3.2) for one session: returns the lowest UID that is recent for the caller and
    /// moves the mailbox's boundary to UIDNEXT, so no other session sees them as recent. Read-only sessions do not claim.</summary>
    Task<long> ClaimRecentAsync(long mailboxId, CancellationToken cancellationToken = default);

    /// <summary>UIDs of the messages of a mailbox whose decoded, i;unicode-casemap folded text contains the query's string
    /// (RFC 9051 6.4.4 substring semantics, RFC 5051 folding). Answered from the text index kept at delivery; messages
    /// not yet indexed (an index from before the text index existed) are indexed first. The answer is exactly what
    /// matching <see cref="Search.MessageTextExtractor"/>'s output with <see cref="Search.TextMatcher"/> gives.</summary>
    Task<IReadOnlySet<long>> SearchTextAsync(long mailboxId, TextSearchQuery query, CancellationToken cancellationToken = default);

    /// <summary>What SORT and THREAD need (RFC 5256) of every message of a mailbox, in ascending UID order, from the index
    /// (never opening message files once they are indexed).</summary>
    Task<IReadOnlyList<MessageSortData>> GetSortDataAsync(long mailboxId, CancellationToken cancellationToken = default);

    /// <summary>The top-level header of several messages (the header section with the blank line that ends it), octet for
    /// octet as stored, by UID: what FETCH BODY[HEADER], BODY[HEADER.FIELDS (...)] and RFC822.HEADER need. Backends may
    /// answer from memory. UIDs that do not exist (any more) are absent from the result.</summary>
    async Task<IReadOnlyDictionary<long, ReadOnlyMemory<byte>>> GetHeadersAsync(long mailboxId, UidSet uids, CancellationToken cancellationToken = default)
    {
        var result = new Dictionary<long, ReadOnlyMemory<byte>>();
        var structures = await GetStructuresAsync(mailboxId, uids, cancellationToken).ConfigureAwait(false);
        foreach (var (uid, structure) in structures)
        {
            Stream stream;
            try { stream = await OpenMessageAsync(mailboxId, uid, cancellationToken).ConfigureAwait(false); }
            catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound) { continue; }
            await using (stream.ConfigureAwait(false))
            {
                var header = new byte[structure.Body.HeaderLength];
                await stream.ReadExactlyAsync(header, cancellationToken).ConfigureAwait(false);
                result[uid] = header;
            }
        }
        return result;
    }

    /// <summary>The messages, in ascending UID order, whose system flags include all of <paramref name="required"/> and none
    /// of <paramref name="excluded"/> (SEARCH FLAGGED, UNSEEN, DELETED...), without reading the others.</summary>
    async Task<IReadOnlyList<UidModSeq>> SearchFlagsAsync(long mailboxId, MessageFlags required, MessageFlags excluded, CancellationToken cancellationToken = default)
    {
        var all = await GetMessagesAsync(mailboxId, null, cancellationToken).ConfigureAwait(false);
        return all.Where(m => (m.Flags & required) == required && (m.Flags & excluded) == 0).Select(m => new UidModSeq(m.Uid, m.ModSeq)).ToList();
    }

    /// <summary>POP3's exclusive maildrop lock (RFC 1939 8). Null when another session holds it.
    /// Disposing releases it; a dropped connection must release it too.</summary>
    Task<IAsyncDisposable?> TryLockMaildropAsync(long mailboxId, CancellationToken cancellationToken = default);
}

[Flags]
public enum MessageFlags
{
    None = 0,
    Seen = 1,
    Answered = 2,
    Flagged = 4,
    Deleted = 8,
    Draft = 16,
}

/// <summary>RFC 6154 special-use attributes.</summary>
public enum SpecialUse { None, All, Archive, Drafts, Flagged, Junk, Sent, Trash }

/// <param name="Id">Stable internal id of the mailbox, not its name (a rename keeps it).</param>
/// <param name="HasChildren">Has child mailboxes (RFC 3348).</param>
/// <param name="NoSelect">Exists only as a parent of others (\Noselect).</param>
public sealed record MailboxInfo(
    long Id, string Name, uint UidValidity, long UidNext, long HighestModSeq,
    SpecialUse SpecialUse, bool Subscribed, bool HasChildren, bool NoSelect);

public sealed record MailboxStatus(
    MailboxInfo Mailbox, int Messages, int Unseen, int Recent, long Size, long Deleted);

/// <param name="FirstUnseenUid">The lowest UID without \Seen; null when every message is seen.</param>
public sealed record MailboxView(IReadOnlyList<long> Uids, IReadOnlyList<string> Keywords, long? FirstUnseenUid);

public sealed record AppendOptions(
    MessageFlags Flags = MessageFlags.None,
    IReadOnlyCollection<string>? Keywords = null,
    DateTimeOffset? InternalDate = null);

public sealed record AppendResult(long MailboxId, uint UidValidity, long Uid, long Size);

/// <param name="Size">RFC822.SIZE: the octets of the message as stored.</param>
/// <param name="EmailId">RFC 8474 EMAILID: the same for every copy of one stored message.</param>
public sealed record MessageInfo(
    long Uid, MessageFlags Flags, IReadOnlyList<string> Keywords, long ModSeq, long Size,
    DateTimeOffset InternalDate, DateTimeOffset SaveDate, string EmailId);

/// <summary>The text SEARCH keys (RFC 9051 6.4.4).</summary>
public enum TextSearchField { Subject, From, To, Cc, Bcc, Header, Body, Text }

/// <param name="Value">The string to look for, not yet folded.</param>
/// <param name="HeaderName">The field name for <see cref="TextSearchField.Header"/>.</param>
public sealed record TextSearchQuery(TextSearchField Field, string Value, string? HeaderName = null);

/// <summary>One message's SORT and THREAD data (RFC 5256), decoded (RFC 2047) but not folded.</summary>
/// <param name="SentDate">The Date header, or null when absent or unparsable.</param>
/// <param name="From">The first mailbox of From (name decoded); likewise <paramref name="To"/> and <paramref name="Cc"/>.</param>
/// <param name="MessageId">Message-ID without angle brackets; likewise the In-Reply-To and References ids.</param>
public sealed record MessageSortData(
    long Uid, long Size, DateTimeOffset InternalDate, DateTimeOffset? SentDate, string? Subject,
    EnvelopeAddress? From, EnvelopeAddress? To, EnvelopeAddress? Cc,
    string? MessageId, string? InReplyTo, IReadOnlyList<string> References);

/// <summary>A message's UID and MODSEQ (a SEARCH match; RFC 7162 3.1.5 reports the highest MODSEQ).</summary>
public readonly record struct UidModSeq(long Uid, long ModSeq);

public enum FlagOperation { Add, Remove, Replace }

public sealed record FlagChange(
    FlagOperation Operation, MessageFlags Flags, IReadOnlyCollection<string> Keywords, long? UnchangedSince = null);

/// <param name="Updated">Messages whose flags were stored (with their new MODSEQ), changed or not.</param>
/// <param name="Modified">UIDs refused by UNCHANGEDSINCE.</param>
public sealed record StoreFlagsResult(IReadOnlyList<MessageInfo> Updated, IReadOnlyList<long> Modified);

public sealed record CopyResult(
    long DestinationMailboxId, uint DestinationUidValidity, IReadOnlyList<long> SourceUids, IReadOnlyList<long> DestinationUids);

/// <summary>RFC 9208 resource usage; limits null when unlimited.</summary>
public sealed record QuotaInfo(long StorageUsedBytes, long? StorageLimitBytes, long MessageCount, long? MessageLimit);

public enum MailboxChangeKind { Appended, Expunged, FlagsChanged, MailboxCreated, MailboxDeleted, MailboxRenamed, SubscriptionChanged }

/// <param name="Uids">The UIDs appended, expunged or whose flags changed.</param>
public sealed record MailboxChange(
    long MailboxId, string MailboxName, MailboxChangeKind Kind, IReadOnlyList<long> Uids, long HighestModSeq);

public enum MailStoreError { NotFound, AlreadyExists, InvalidName, OverQuota, DiskFull, NotAllowed, Corrupt }

/// <summary>A refused store operation; protocols turn it into their own reply (IMAP NO [OVERQUOTA], SMTP 452 4.2.2...).</summary>
public class MailStoreException(MailStoreError error, string message) : Exception(message)
{
    public MailStoreError Error { get; } = error;
}

public sealed class MailboxNameException(string message) : MailStoreException(MailStoreError.InvalidName, message);
