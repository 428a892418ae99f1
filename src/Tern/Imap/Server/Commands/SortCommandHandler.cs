using System.Text;
using Tern.Imap.Protocol;
using Tern.Imap.Server.Sorting;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 5256 SORT and UID SORT, RFC 5957 DISPLAYFROM/DISPLAYTO, RFC 5267 ESORT (SORT RETURN) and RFC 9394
/// PARTIAL. Sort keys come from the store's index (<see cref="Store.IMailAccount.GetSortDataAsync"/>).</summary>
static class SortCommandHandler
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var command = SortParser.ParseSort(args);
        if (SearchCommandHandler.RefuseCharset(command.Charset) is { } refused)
            return refused;
        var selected = session.Selected!;
        var items = await SortSupport.MatchAsync(session, selected, command.Key, cancellationToken).ConfigureAwait(false);
        var sorted = SortEngine.Sort(items, command.Criteria);
        var numbers = sorted.Select(i => request.Uid ? i.Uid : i.Seq).ToList();
        var prefix = request.Uid ? "UID " : "";

        if (command.Return is not { } options)
        {
            var sb = new StringBuilder("* SORT");
            foreach (var n in numbers)
                sb.Append(' ').Append(n);
            session.WriteBuffered(sb.ToString());
            return ImapResult.Ok($"{prefix}SORT completed");
        }
        if (options.HasFlag(SearchReturn.Save))
        {
            // RFC 5267 3 / RFC 5182: the saved result is a set; with PARTIAL only the window (RFC 9394 3.2).
            var window = command.Partial is { } p ? p.Window(sorted.Count) : (0, sorted.Count);
            selected.SavedSearch = sorted.Skip(window.Item1).Take(window.Item2).Select(i => i.Uid).Order().ToList();
            if (options == SearchReturn.Save)
                return ImapResult.Ok($"{prefix}SORT completed");
        }
        session.WriteBuffered(SortSupport.FormatEsearch(request, numbers, options, command.Partial, ordered: true));
        return ImapResult.Ok($"{prefix}SORT completed");
    }
}

/// <summary>RFC 5256 THREAD and UID THREAD (ORDEREDSUBJECT and REFERENCES).</summary>
static class ThreadCommandHandler
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var command = SortParser.ParseThread(args);
        if (SearchCommandHandler.RefuseCharset(command.Charset) is { } refused)
            return refused;
        var items = await SortSupport.MatchAsync(session, session.Selected!, command.Key, cancellationToken).ConfigureAwait(false);
        var threads = command.Algorithm == ThreadAlgorithm.References
            ? ThreadBuilder.References(items)
            : ThreadBuilder.OrderedSubject(items);
        session.WriteBuffered(ThreadBuilder.Format(threads, request.Uid));
        return ImapResult.Ok($"{(request.Uid ? "UID " : "")}THREAD completed");
    }
}

static class SortSupport
{

    /// <summary>The messages the search key matches, in sequence order, with their sort data.</summary>
    public static async Task<List<SortItem>> MatchAsync(ImapSession session, SelectedMailbox selected, SearchKey key, CancellationToken cancellationToken)
    {
        // ALL (what clients send to sort or thread a whole mailbox) is every message of this session's view: no search.
        var matches = IsAll(key)
            ? null
            : await new SearchEvaluator(session, selected).RunAsync(key, cancellationToken).ConfigureAwait(false);
        var data = await session.Account!.GetSortDataAsync(selected.Id, cancellationToken).ConfigureAwait(false);
        var derived = DerivedSortKeys.For(data);
        var items = new List<SortItem>(matches?.Count ?? selected.Count);
        // Both in ascending UID order (sequence order is UID order): one merge. A message expunged by another session
        // since is left out, like SEARCH leaves it out; one appended since is not in the view yet.
        int d = 0;
        if (matches is null)
        {
            var uids = selected.Uids;
            for (int i = 0; i < uids.Count; i++)
            {
                long uid = uids[i];
                while (d < data.Count && data[d].Uid < uid) d++;
                if (d < data.Count && data[d].Uid == uid)
                    items.Add(new SortItem(i + 1, uid, data[d], derived, d));
            }
            return items;
        }
        matches.Sort((a, b) => a.Uid.CompareTo(b.Uid)); // already so; the merge depends on it
        foreach (var (seq, uid) in matches)
        {
            while (d < data.Count && data[d].Uid < uid) d++;
            if (d < data.Count && data[d].Uid == uid)
                items.Add(new SortItem(seq, uid, data[d], derived, d));
        }
        return items;
    }

    static bool IsAll(SearchKey key) =>
        key.Kind == SearchKeyKind.All || (key.Kind == SearchKeyKind.And && key.Children!.All(IsAll));

    /// <summary>The ESEARCH response of SEARCH RETURN (RFC 4731) or SORT RETURN (RFC 5267), with RFC 9394 PARTIAL.
    /// <paramref name="numbers"/> in result order: ascending for SEARCH, sort order for SORT.</summary>
    public static string FormatEsearch(ImapRequest request, IReadOnlyList<long> numbers, SearchReturn options, PartialRange? partial, bool ordered)
    {
        var line = new StringBuilder($"* ESEARCH (TAG \"{request.Tag}\")");
        if (request.Uid)
            line.Append(" UID");
        if (numbers.Count > 0)
        {
            // RFC 5267 3.2: for SORT, MIN and MAX are the first and last message in sort order.
            if (options.HasFlag(SearchReturn.Min)) line.Append(" MIN ").Append(ordered ? numbers[0] : numbers.Min());
            if (options.HasFlag(SearchReturn.Max)) line.Append(" MAX ").Append(ordered ? numbers[^1] : numbers.Max());
            if (options.HasFlag(SearchReturn.All)) line.Append(" ALL ").Append(ordered ? SequenceSet.FormatInOrder(numbers) : SequenceSet.Format(numbers.Order()));
        }
        if (options.HasFlag(SearchReturn.Count)) line.Append(" COUNT ").Append(numbers.Count);
        if (options.HasFlag(SearchReturn.Partial) && partial is not null)
        {
            // RFC 9394 3.1: PARTIAL (range set-or-NIL); the window is taken from the results in their order.
            var (start, count) = partial.Window(numbers.Count);
            line.Append(" PARTIAL (").Append(partial).Append(' ');
            var window = numbers.Skip(start).Take(count).ToList();
            line.Append(window.Count == 0 ? "NIL" : ordered ? SequenceSet.FormatInOrder(window) : SequenceSet.Format(window));
            line.Append(')');
        }
        return line.ToString();
    }
}
