using System.Text;
using Tern.Imap.Protocol;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.4 SEARCH, with ESEARCH (RFC 4731), SEARCHRES (RFC 5182), PARTIAL (RFC 9394) and IMAP4rev2's
/// ESEARCH results.</summary>
static class SearchCommandHandler
{
    /// <summary>NO [BADCHARSET] for a charset SEARCH, and SORT and THREAD (whose keys are search keys), do not accept;
    /// null for one they do.</summary>
    public static ImapResult? RefuseCharset(string? charset) =>
        SortParser.IsSupportedCharset(charset) ? null : ImapResult.No($"Unsupported charset {charset}", "BADCHARSET (UTF-8 US-ASCII)");

    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var command = SearchParser.Parse(args);
        if (RefuseCharset(command.Charset) is { } refused)
            return refused;
        var selected = session.Selected!;
        var evaluator = new SearchEvaluator(session, selected);
        var matches = await evaluator.RunAsync(command.Key, cancellationToken).ConfigureAwait(false);
        // RFC 7162 3.1.5: a search with MODSEQ enables CONDSTORE and reports the highest MODSEQ of what it returns.
        bool modSeqSearch = UsesModSeq(command.Key);
        if (modSeqSearch)
            session.EnableCondstore();
        var prefix = request.Uid ? "UID " : "";
        var numbers = matches.Select(m => request.Uid ? m.Uid : m.Seq).ToList();

        var ret = command.Return ?? (session.Rev2Enabled ? SearchReturn.All : (SearchReturn?)null);
        if (ret is null)
        {
            var sb = new StringBuilder("* SEARCH");
            foreach (var n in numbers)
                sb.Append(' ').Append(n);
            if (modSeqSearch && matches.Count > 0)
                sb.Append(" (MODSEQ ").Append(evaluator.MatchedModSeqs.Values.Max()).Append(')');
            session.WriteBuffered(sb.ToString()); // sent with the tagged response
            return ImapResult.Ok($"{prefix}SEARCH completed");
        }

        var options = ret.Value;
        if (options.HasFlag(SearchReturn.Save))
        {
            // RFC 5182 2.4: with MIN or MAX the saved result is only those messages.
            var uids = matches.Select(m => m.Uid).ToList();
            if (command.Partial is { } partial)
            {
                // RFC 9394 3.2: with PARTIAL, only the messages of the window are saved.
                var (start, count) = partial.Window(uids.Count);
                uids = uids.GetRange(start, count);
            }
            if ((options & (SearchReturn.Min | SearchReturn.Max)) != 0 && (options & (SearchReturn.All | SearchReturn.Count)) == 0 && uids.Count > 0)
            {
                var saved = new List<long>();
                if (options.HasFlag(SearchReturn.Min)) saved.Add(uids[0]);
                if (options.HasFlag(SearchReturn.Max) && uids[^1] != uids[0]) saved.Add(uids[^1]);
                uids = saved;
            }
            selected.SavedSearch = uids;
            // RFC 5182 2.1: SAVE alone returns no ESEARCH response.
            if (options == SearchReturn.Save)
                return ImapResult.Ok($"{prefix}SEARCH completed");
        }
        var line = new StringBuilder(SortSupport.FormatEsearch(request, numbers, options, command.Partial, ordered: false));
        if (modSeqSearch && matches.Count > 0)
            line.Append(" MODSEQ ").Append(ReportedModSeq(options, matches, evaluator.MatchedModSeqs));
        session.WriteBuffered(line.ToString()); // sent with the tagged response
        return ImapResult.Ok($"{prefix}SEARCH completed");
    }

    static bool UsesModSeq(SearchKey key) => key.Kind == SearchKeyKind.ModSeq || (key.Children?.Any(UsesModSeq) ?? false);

    /// <summary>RFC 7162 3.1.5 / RFC 4731: with only MIN and/or MAX asked, the MODSEQ of those messages; else of all.</summary>
    static long ReportedModSeq(SearchReturn options, List<(int Seq, long Uid)> matches, Dictionary<long, long> modSeqs)
    {
        if ((options & (SearchReturn.All | SearchReturn.Count)) != 0 || (options & (SearchReturn.Min | SearchReturn.Max)) == 0)
            return modSeqs.Values.Max();
        long best = 0;
        if (options.HasFlag(SearchReturn.Min)) best = Math.Max(best, modSeqs[matches[0].Uid]);
        if (options.HasFlag(SearchReturn.Max)) best = Math.Max(best, modSeqs[matches[^1].Uid]);
        return best;
    }
}
