using System.Text;
using Tern.Imap.Protocol;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.4 SEARCH, with ESEARCH (RFC 4731), SEARCHRES (RFC 5182), PARTIAL (RFC 9394) and IMAP4rev2's
/// ESEARCH results.</summary>
static class SearchCommandHandler
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var command = SearchParser.Parse(args);
        if (command.Charset is { } charset && !charset.Equals("UTF-8", StringComparison.OrdinalIgnoreCase)
            && !charset.Equals("US-ASCII", StringComparison.OrdinalIgnoreCase))
            return ImapResult.No($"Unsupported charset {charset}", "BADCHARSET (UTF-8 US-ASCII)");
        var selected = session.Selected!;
        var matches = await new SearchEvaluator(session, selected).RunAsync(command.Key, cancellationToken).ConfigureAwait(false);
        var prefix = request.Uid ? "UID " : "";
        var numbers = matches.Select(m => request.Uid ? m.Uid : m.Seq).ToList();

        var ret = command.Return ?? (session.Rev2Enabled ? SearchReturn.All : (SearchReturn?)null);
        if (ret is null)
        {
            var sb = new StringBuilder("* SEARCH");
            foreach (var n in numbers)
                sb.Append(' ').Append(n);
            session.WriteBuffered(sb.ToString());
            await session.FlushAsync(cancellationToken).ConfigureAwait(false);
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
        session.WriteBuffered(SortSupport.FormatEsearch(request, numbers, options, command.Partial, ordered: false));
        await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok($"{prefix}SEARCH completed");
    }
}
