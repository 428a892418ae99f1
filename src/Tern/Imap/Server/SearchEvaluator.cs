using MimeKit;
using MimeKit.Utils;
using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>Evaluates SEARCH keys (RFC 9051 6.4.4). Flags, sizes, dates and numbers come from the index; header and
/// text keys are answered by the store's text index (<see cref="IMailAccount.SearchTextAsync"/>): substring matching
/// of decoded text under i;unicode-casemap (RFC 5051), without reading message files.</summary>
public sealed class SearchEvaluator(ImapSession session, SelectedMailbox selected)
{
    sealed class Candidate(int seq, MessageInfo info)
    {
        public int Seq { get; } = seq;
        public MessageInfo Info { get; } = info;
        public MimeMessage? Message { get; set; }
        public DateTimeOffset? SentDate { get; set; }
        public bool SentDateLoaded { get; set; }
    }

    HashSet<long>? uidSetCache;
    readonly Dictionary<SearchKey, IReadOnlySet<long>> textResults = new(ReferenceEqualityComparer.Instance);
    readonly DateTimeOffset now = DateTimeOffset.UtcNow;

    /// <summary>The MODSEQ of each match by UID, for the "(MODSEQ n)" of RFC 7162 3.1.5.</summary>
    public Dictionary<long, long> MatchedModSeqs { get; } = [];

    public async Task<List<(int Seq, long Uid)>> RunAsync(SearchKey key, CancellationToken cancellationToken)
    {
        var account = session.Account!;
        // System flags alone (FLAGGED, UNSEEN, UNDELETED ...), the commonest search of all: the store answers it with
        // the matching messages only.
        if (FlagMasks(key) is { } masks)
        {
            var flagged = (masks.Required & masks.Excluded) != 0 ? []
                : await account.SearchFlagsAsync(selected.Id, masks.Required, masks.Excluded, cancellationToken).ConfigureAwait(false);
            var found = new List<(int, long)>(flagged.Count);
            foreach (var (uid, modSeq) in flagged)
            {
                int seq = selected.SeqOf(uid);
                if (seq == 0)
                    continue; // arrived after this session's view; announced later
                found.Add((seq, uid));
                MatchedModSeqs[uid] = modSeq;
            }
            return found;
        }
        // A text key (alone, or anded with others) answered by the index names the only messages that can match: when
        // they are few, only their rows are read, not the whole mailbox's (a rare word in 100,000 messages).
        var restriction = await CandidatesAsync(key, cancellationToken).ConfigureAwait(false);
        if (restriction is { Count: 0 })
            return [];
        if (IsTextKey(key))
        {
            // The index's answer is the whole answer: no message rows needed (MODSEQs are only reported for a search
            // with a MODSEQ key, RFC 7162 3.1.5).
            var matched = new List<(int, long)>(restriction!.Count);
            foreach (var uid in restriction.Order())
            {
                int seq = selected.SeqOf(uid);
                if (seq > 0)
                    matched.Add((seq, uid));
            }
            return matched;
        }
        var infos = restriction is { Count: <= MaxCandidateRows }
            ? await account.GetMessagesAsync(selected.Id, UidSet.FromSorted(restriction.Order().ToList()), cancellationToken).ConfigureAwait(false)
            : await account.GetMessagesAsync(selected.Id, null, cancellationToken).ConfigureAwait(false);
        var results = new List<(int, long)>();
        foreach (var info in infos)
        {
            int seq = selected.SeqOf(info.Uid);
            if (seq == 0)
                continue; // arrived after this session's view; announced later
            var candidate = new Candidate(seq, info);
            try
            {
                if (await MatchesAsync(key, candidate, cancellationToken).ConfigureAwait(false))
                {
                    results.Add((seq, info.Uid));
                    MatchedModSeqs[info.Uid] = info.ModSeq;
                }
            }
            finally
            {
                candidate.Message?.Dispose();
            }
        }
        return results;
    }

    async ValueTask<bool> MatchesAsync(SearchKey key, Candidate c, CancellationToken ct)
    {
        var info = c.Info;
        var flags = info.Flags;
        switch (key.Kind)
        {
            case SearchKeyKind.All: return true;
            case SearchKeyKind.And:
                foreach (var child in OrderCheapFirst(key.Children!))
                {
                    if (!await MatchesAsync(child, c, ct).ConfigureAwait(false))
                        return false;
                }
                return true;
            case SearchKeyKind.Or:
                return await MatchesAsync(key.Children![0], c, ct).ConfigureAwait(false)
                    || await MatchesAsync(key.Children[1], c, ct).ConfigureAwait(false);
            case SearchKeyKind.Not: return !await MatchesAsync(key.Children![0], c, ct).ConfigureAwait(false);
            case SearchKeyKind.SequenceSet:
                if (key.Set!.IsSaved)
                    return selected.SavedSearch?.Contains(info.Uid) ?? false;
                return key.Set.Resolve((uint)selected.Count).Any(r => c.Seq >= r.First && c.Seq <= r.Last);
            case SearchKeyKind.Uid:
                if (key.Set!.IsSaved)
                    return selected.SavedSearch?.Contains(info.Uid) ?? false;
                uidSetCache ??= [.. selected.Resolve(key.Set, byUid: true)];
                return uidSetCache.Contains(info.Uid);
            case SearchKeyKind.Answered: return flags.HasFlag(MessageFlags.Answered);
            case SearchKeyKind.Deleted: return flags.HasFlag(MessageFlags.Deleted);
            case SearchKeyKind.Draft: return flags.HasFlag(MessageFlags.Draft);
            case SearchKeyKind.Flagged: return flags.HasFlag(MessageFlags.Flagged);
            case SearchKeyKind.Seen: return flags.HasFlag(MessageFlags.Seen);
            case SearchKeyKind.Unanswered: return !flags.HasFlag(MessageFlags.Answered);
            case SearchKeyKind.Undeleted: return !flags.HasFlag(MessageFlags.Deleted);
            case SearchKeyKind.Undraft: return !flags.HasFlag(MessageFlags.Draft);
            case SearchKeyKind.Unflagged: return !flags.HasFlag(MessageFlags.Flagged);
            case SearchKeyKind.Unseen: return !flags.HasFlag(MessageFlags.Seen);
            case SearchKeyKind.Recent: return selected.IsRecent(info.Uid);
            case SearchKeyKind.New: return selected.IsRecent(info.Uid) && !flags.HasFlag(MessageFlags.Seen);
            case SearchKeyKind.Old: return !selected.IsRecent(info.Uid);
            case SearchKeyKind.Keyword: return info.Keywords.Contains(key.Value!, StringComparer.OrdinalIgnoreCase);
            case SearchKeyKind.Unkeyword: return !info.Keywords.Contains(key.Value!, StringComparer.OrdinalIgnoreCase);
            case SearchKeyKind.Larger: return info.Size > key.Number;
            case SearchKeyKind.Smaller: return info.Size < key.Number;
            case SearchKeyKind.ModSeq: return info.ModSeq >= key.Number;
            // RFC 8514 4.4: like BEFORE/ON/SINCE on the save date; every mailbox keeps one.
            case SearchKeyKind.SavedBefore: return DateOnly.FromDateTime(info.SaveDate.DateTime) < key.Date;
            case SearchKeyKind.SavedOn: return DateOnly.FromDateTime(info.SaveDate.DateTime) == key.Date;
            case SearchKeyKind.SavedSince: return DateOnly.FromDateTime(info.SaveDate.DateTime) >= key.Date;
            case SearchKeyKind.SaveDateSupported: return true;
            // RFC 5032: INTERNALDATE more than (OLDER) or at most (YOUNGER) the interval in seconds before now.
            case SearchKeyKind.Older: return (now - info.InternalDate).TotalSeconds > key.Number;
            case SearchKeyKind.Younger: return (now - info.InternalDate).TotalSeconds <= key.Number;
            case SearchKeyKind.EmailId: return string.Equals(info.EmailId, key.Value, StringComparison.Ordinal);
            case SearchKeyKind.ThreadId: return string.Equals(await ThreadIdAsync(c, ct).ConfigureAwait(false), key.Value, StringComparison.Ordinal);
            // RFC 9051 6.4.4: dates disregard time and time zone.
            case SearchKeyKind.Before: return DateOnly.FromDateTime(info.InternalDate.DateTime) < key.Date;
            case SearchKeyKind.On: return DateOnly.FromDateTime(info.InternalDate.DateTime) == key.Date;
            case SearchKeyKind.Since: return DateOnly.FromDateTime(info.InternalDate.DateTime) >= key.Date;
            case SearchKeyKind.SentBefore or SearchKeyKind.SentOn or SearchKeyKind.SentSince:
            {
                var sent = await SentDateAsync(c, ct).ConfigureAwait(false);
                if (sent is null)
                    return false;
                var d = DateOnly.FromDateTime(sent.Value.DateTime);
                return key.Kind switch
                {
                    SearchKeyKind.SentBefore => d < key.Date,
                    SearchKeyKind.SentOn => d == key.Date,
                    _ => d >= key.Date,
                };
            }
            case SearchKeyKind.From or SearchKeyKind.To or SearchKeyKind.Cc or SearchKeyKind.Bcc or SearchKeyKind.Subject
                or SearchKeyKind.Header or SearchKeyKind.Body or SearchKeyKind.Text:
                return (await TextMatchesAsync(key, ct).ConfigureAwait(false)).Contains(info.Uid);
            default:
                return false;
        }
    }

    /// <summary>The flags a key made only of system-flag keys (alone or ANDed) requires and excludes; null for any other key.</summary>
    static (MessageFlags Required, MessageFlags Excluded)? FlagMasks(SearchKey key)
    {
        switch (key.Kind)
        {
            case SearchKeyKind.Answered: return (MessageFlags.Answered, MessageFlags.None);
            case SearchKeyKind.Deleted: return (MessageFlags.Deleted, MessageFlags.None);
            case SearchKeyKind.Draft: return (MessageFlags.Draft, MessageFlags.None);
            case SearchKeyKind.Flagged: return (MessageFlags.Flagged, MessageFlags.None);
            case SearchKeyKind.Seen: return (MessageFlags.Seen, MessageFlags.None);
            case SearchKeyKind.Unanswered: return (MessageFlags.None, MessageFlags.Answered);
            case SearchKeyKind.Undeleted: return (MessageFlags.None, MessageFlags.Deleted);
            case SearchKeyKind.Undraft: return (MessageFlags.None, MessageFlags.Draft);
            case SearchKeyKind.Unflagged: return (MessageFlags.None, MessageFlags.Flagged);
            case SearchKeyKind.Unseen: return (MessageFlags.None, MessageFlags.Seen);
            case SearchKeyKind.And:
                var required = MessageFlags.None;
                var excluded = MessageFlags.None;
                foreach (var child in key.Children!)
                {
                    if (FlagMasks(child) is not { } masks)
                        return null;
                    required |= masks.Required;
                    excluded |= masks.Excluded;
                }
                return (required, excluded);
            default:
                return null;
        }
    }

    /// <summary>Above this many index candidates, reading the whole mailbox in one query is cheaper than one per UID.</summary>
    const int MaxCandidateRows = 2_000;

    static bool IsTextKey(SearchKey key) => key.Kind is SearchKeyKind.From or SearchKeyKind.To or SearchKeyKind.Cc
        or SearchKeyKind.Bcc or SearchKeyKind.Subject or SearchKeyKind.Header or SearchKeyKind.Body or SearchKeyKind.Text;

    /// <summary>The UIDs outside which <paramref name="key"/> cannot match, from the text index; null when unknown.</summary>
    async ValueTask<IReadOnlySet<long>?> CandidatesAsync(SearchKey key, CancellationToken ct)
    {
        if (IsTextKey(key))
            return await TextMatchesAsync(key, ct).ConfigureAwait(false);
        if (key.Kind != SearchKeyKind.And)
            return null;
        IReadOnlySet<long>? smallest = null;
        foreach (var child in key.Children!)
        {
            if (await CandidatesAsync(child, ct).ConfigureAwait(false) is { } set && (smallest is null || set.Count < smallest.Count))
                smallest = set;
        }
        return smallest;
    }

    static IEnumerable<SearchKey> OrderCheapFirst(IReadOnlyList<SearchKey> keys) =>
        keys.OrderBy(k => k.NeedsContent ? 2 : k.NeedsSentDate ? 1 : 0);

    /// <summary>The UIDs a text key matches, asked of the store's text index once per key and search.</summary>
    async ValueTask<IReadOnlySet<long>> TextMatchesAsync(SearchKey key, CancellationToken ct)
    {
        if (textResults.TryGetValue(key, out var cached))
            return cached;
        var query = key.Kind switch
        {
            SearchKeyKind.From => new TextSearchQuery(TextSearchField.From, key.Value!),
            SearchKeyKind.To => new TextSearchQuery(TextSearchField.To, key.Value!),
            SearchKeyKind.Cc => new TextSearchQuery(TextSearchField.Cc, key.Value!),
            SearchKeyKind.Bcc => new TextSearchQuery(TextSearchField.Bcc, key.Value!),
            SearchKeyKind.Subject => new TextSearchQuery(TextSearchField.Subject, key.Value!),
            SearchKeyKind.Header => new TextSearchQuery(TextSearchField.Header, key.Value!, key.Field),
            SearchKeyKind.Body => new TextSearchQuery(TextSearchField.Body, key.Value!),
            _ => new TextSearchQuery(TextSearchField.Text, key.Value!),
        };
        var uids = await session.Account!.SearchTextAsync(selected.Id, query, ct).ConfigureAwait(false);
        textResults[key] = uids;
        return uids;
    }

    async ValueTask<string?> ThreadIdAsync(Candidate c, CancellationToken ct)
    {
        // The headers as MimeKit parsed them for the text keys; THREADID comes from References/In-Reply-To/Message-ID.
        var message = await LoadAsync(c, ct).ConfigureAwait(false);
        return message.Headers.Count == 0 ? null : ObjectIds.ThreadId(message.Headers, c.Info.EmailId);
    }

    /// <summary>The parsed message, for THREADID only (text keys use the store's index).</summary>
    async ValueTask<MimeMessage> LoadAsync(Candidate c, CancellationToken ct)
    {
        if (c.Message is not null)
            return c.Message;
        Stream stream;
        try
        {
            stream = await session.Account!.OpenMessageAsync(selected.Id, c.Info.Uid, ct).ConfigureAwait(false);
        }
        catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
        {
            // Expunged by another session during the search: an empty message matches nothing.
            return c.Message = new MimeMessage();
        }
        await using (stream.ConfigureAwait(false))
            c.Message = await MimeMessage.LoadAsync(stream, ct).ConfigureAwait(false);
        return c.Message;
    }

    async ValueTask<DateTimeOffset?> SentDateAsync(Candidate c, CancellationToken ct)
    {
        if (!c.SentDateLoaded)
        {
            MessageStructure? structure = null;
            try
            {
                structure = await session.Account!.GetStructureAsync(selected.Id, c.Info.Uid, ct).ConfigureAwait(false);
            }
            catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
            {
                // Expunged meanwhile: no sent date.
            }
            c.SentDate = structure?.Envelope.Date is { } d && DateUtils.TryParse(d, out var parsed) ? parsed : null;
            c.SentDateLoaded = true;
        }
        return c.SentDate;
    }
}
