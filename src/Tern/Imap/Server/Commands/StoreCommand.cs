using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.6 STORE: FLAGS, +FLAGS, -FLAGS, each with .SILENT; RFC 7162 3.1.3 UNCHANGEDSINCE.</summary>
/// <remarks><code>store = "STORE" SP sequence-set [SP store-modifiers] SP store-att-flags
/// store-att-flags = (["+" / "-"] "FLAGS" [".SILENT"]) SP (flag-list / (flag *(SP flag)))</code></remarks>
static class StoreCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var set = args.SequenceSet();
        args.Space();
        var unchangedSince = SyncParameters.ReadStore(args);
        var item = args.Atom().ToUpperInvariant();
        var operation = item[0] switch { '+' => FlagOperation.Add, '-' => FlagOperation.Remove, _ => FlagOperation.Replace };
        var bare = item.TrimStart('+', '-');
        bool silent = bare == "FLAGS.SILENT";
        if (bare is not ("FLAGS" or "FLAGS.SILENT") || item.Length - bare.Length > 1)
            throw new ImapParseException($"Unknown STORE item {item}");
        args.Space();
        List<string> flags;
        if (args.PeekIs('('))
        {
            flags = args.FlagList();
        }
        else
        {
            flags = [args.Flag()];
            while (args.TryExpect(' '))
                flags.Add(args.Flag());
        }
        args.ExpectEnd();
        var (systemFlags, keywords) = FlagText.Parse(flags);

        if (unchangedSince is not null)
            session.EnableCondstore(); // RFC 7162 3.1
        var selected = session.Selected!;
        if (selected.ReadOnly)
            return ImapResult.No("Mailbox is read-only", "READ-ONLY");
        var uids = selected.Resolve(set, request.Uid);
        var prefix = request.Uid ? "UID " : "";
        if (uids.Count == 0)
            return ImapResult.Ok($"{prefix}STORE completed");
        var result = await session.Account!.StoreFlagsAsync(selected.Id, UidSet.FromSorted(uids),
            new FlagChange(operation, systemFlags, keywords, unchangedSince), cancellationToken).ConfigureAwait(false);
        if (result.Updated.Count > 0)
        {
            if (selected.OwnModSeqs.Count > 1000)
                selected.OwnModSeqs.Clear(); // at worst a flag change is announced twice
            selected.OwnModSeqs.Add(result.Updated.Max(m => m.ModSeq));
        }
        foreach (var info in result.Updated)
        {
            int seq = selected.SeqOf(info.Uid);
            if (seq == 0)
                continue;
            // RFC 9051 6.4.6: .SILENT suppresses the FETCH responses; with UID STORE the UID is included (6.4.9).
            // RFC 7162 3.1.3: with UNCHANGEDSINCE the FETCH with MODSEQ is sent even with .SILENT.
            if (!silent)
                session.WriteBuffered($"* {seq} FETCH ({session.FlagUpdateItems(info, request.Uid)})");
            else if (unchangedSince is not null)
                session.WriteBuffered($"* {seq} FETCH ({(request.Uid || session.QresyncEnabled ? $"UID {info.Uid} " : "")}MODSEQ ({info.ModSeq}))");
            await session.FlushIfLargeAsync(cancellationToken).ConfigureAwait(false);
        }
        if (result.Modified.Count > 0)
        {
            // RFC 7162 3.1.3: the messages UNCHANGEDSINCE refused, as message numbers or (UID STORE) UIDs.
            var numbers = request.Uid ? result.Modified.Order().ToList()
                : result.Modified.Select(selected.SeqOf).Where(n => n > 0).Select(n => (long)n).Order().ToList();
            return ImapResult.Ok("Conditional STORE failed", "MODIFIED " + SequenceSet.Format(numbers));
        }
        return ImapResult.Ok($"{prefix}STORE completed");
    }
}
