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
        public DateTimeOffset? SentDate { get; set; }
        public bool SentDateLoaded { get; set; }
    }

    HashSet<long>? uidSetCache;
    readonly Dictionary<SearchKey, IReadOnlySet<long>> textResults = new(ReferenceEqualityComparer.Instance);

    public async Task<List<(int Seq, long Uid)>> RunAsync(SearchKey key, CancellationToken cancellationToken)
    {
        var account = session.Account!;
        var infos = await account.GetMessagesAsync(selected.Id, null, cancellationToken).ConfigureAwait(false);
        var results = new List<(int, long)>();
        foreach (var info in infos)
        {
            int seq = selected.SeqOf(info.Uid);
            if (seq == 0)
                continue; // arrived after this session's view; announced later
            var candidate = new Candidate(seq, info);
            if (await MatchesAsync(key, candidate, cancellationToken).ConfigureAwait(false))
                results.Add((seq, info.Uid));
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
