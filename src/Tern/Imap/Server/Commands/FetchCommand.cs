using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.5 FETCH and 6.4.9 UID FETCH. Metadata comes from the index and the stored structure; body
/// sections are streamed from the message file into the connection as literals. RFC 7162 CHANGEDSINCE and VANISHED.</summary>
static class FetchCommand
{
    /// <summary>Messages whose structures are read from the index at once.</summary>
    const int StructureBatch = 256;

    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var set = args.SequenceSet();
        args.Space();
        var items = FetchParser.Parse(args);
        var modifiers = SyncParameters.ReadFetch(args);
        args.ExpectEnd();
        if (modifiers.Vanished && !request.Uid)
            return ImapResult.Bad("VANISHED is allowed only with UID FETCH");
        if (modifiers.Vanished && !session.QresyncEnabled)
            return ImapResult.Bad("VANISHED needs ENABLE QRESYNC first");
        if (request.Uid && !items.Any(i => i.Kind == FetchItemKind.Uid))
            items.Insert(0, new FetchItem(FetchItemKind.Uid)); // RFC 9051 6.4.9: UID FETCH always returns UID
        // RFC 7162 3.1: MODSEQ and CHANGEDSINCE enable CONDSTORE; CHANGEDSINCE implies MODSEQ (3.1.4.1), and once
        // CONDSTORE is on, FLAGS come with MODSEQ.
        if (modifiers.ChangedSince is not null || items.Any(i => i.Kind == FetchItemKind.ModSeq))
            session.EnableCondstore();
        bool wantsModSeq = modifiers.ChangedSince is not null || (session.CondstoreEnabled && items.Any(i => i.Kind == FetchItemKind.Flags));
        if (wantsModSeq && !items.Any(i => i.Kind == FetchItemKind.ModSeq))
            items.Add(new FetchItem(FetchItemKind.ModSeq));

        var selected = session.Selected!;
        var account = session.Account!;
        var uids = selected.Resolve(set, request.Uid);
        var prefix = request.Uid ? "UID " : "";
        if (modifiers.Vanished)
        {
            // RFC 7162 3.2.6: the UIDs of the set expunged since CHANGEDSINCE, before any FETCH response. "*" reaches
            // past the highest UID still present, so that expunged UIDs above it are reported too.
            var expunged = await account.GetExpungedSinceAsync(selected.Id, modifiers.ChangedSince!.Value, cancellationToken).ConfigureAwait(false);
            var ranges = set.Resolve(SequenceSet.Star).ToList();
            QresyncResponder.WriteVanishedEarlier(session, expunged.Where(u => ranges.Any(r => u >= r.First && u <= r.Last)).ToList());
        }
        if (uids.Count == 0)
            return ImapResult.Ok($"{prefix}FETCH completed");
        var uidSet = UidSet.FromSorted(uids);
        var infos = await account.GetMessagesAsync(selected.Id, uidSet, cancellationToken).ConfigureAwait(false);
        int listed = infos.Count;
        if (modifiers.ChangedSince is { } since)
            infos = infos.Where(i => i.ModSeq > since).ToList(); // RFC 7162 3.1.4.1

        // RFC 9051 6.4.5: BODY[...], BINARY[...], RFC822 and RFC822.TEXT set \Seen; the new FLAGS are returned too.
        bool addFlags = false;
        if (!selected.ReadOnly && items.Any(i => i.SetsSeen))
        {
            var unseen = infos.Where(i => !i.Flags.HasFlag(MessageFlags.Seen)).Select(i => i.Uid).ToList();
            if (unseen.Count > 0)
            {
                var stored = await account.StoreFlagsAsync(selected.Id, UidSet.FromSorted(unseen),
                    new FlagChange(FlagOperation.Add, MessageFlags.Seen, []), cancellationToken).ConfigureAwait(false);
                if (stored.Updated.Count > 0)
                    selected.OwnModSeqs.Add(stored.Updated.Max(m => m.ModSeq));
                var updated = stored.Updated.ToDictionary(m => m.Uid);
                infos = infos.Select(i => updated.TryGetValue(i.Uid, out var u) ? u : i).ToList();
                addFlags = !items.Any(i => i.Kind == FetchItemKind.Flags);
                if (addFlags && session.CondstoreEnabled && !items.Any(i => i.Kind == FetchItemKind.ModSeq))
                    items.Add(new FetchItem(FetchItemKind.ModSeq)); // RFC 7162 3.1.4: the changed flags with their MODSEQ
            }
        }

        // Structures come from the index in one read per batch rather than one per message; the batch bounds memory
        // on a FETCH of a whole large mailbox. Header items need only the top-level headers, which the store may have
        // in memory (a client's message list), and BODY[] needs neither.
        bool needsStructure = items.Any(i => i.NeedsStructureBeyondHeader);
        bool needsHeaders = items.Any(i => i.IsTopLevelHeader);
        IReadOnlyDictionary<long, MessageStructure>? structures = null;
        IReadOnlyDictionary<long, ReadOnlyMemory<byte>>? headers = null;
        int batchEnd = 0;
        int vanished = 0;
        for (int index = 0; index < infos.Count; index++)
        {
            var info = infos[index];
            if ((needsStructure || needsHeaders) && index >= batchEnd)
            {
                batchEnd = Math.Min(infos.Count, index + StructureBatch);
                var batch = UidSet.FromSorted(infos.Skip(index).Take(batchEnd - index).Select(i => i.Uid).ToList());
                if (needsStructure)
                    structures = await account.GetStructuresAsync(selected.Id, batch, cancellationToken).ConfigureAwait(false);
                if (needsHeaders)
                    headers = await account.GetHeadersAsync(selected.Id, batch, cancellationToken).ConfigureAwait(false);
            }
            int seq = selected.SeqOf(info.Uid);
            if (seq == 0)
                continue;
            MessageStructure? structure = null;
            ReadOnlyMemory<byte> header = default;
            if (structures is not null && !structures.TryGetValue(info.Uid, out structure)
                || headers is not null && !headers.TryGetValue(info.Uid, out header))
            {
                vanished++; // expunged by another session after the listing
                continue;
            }
            var responder = new FetchResponder(session, selected, info, seq, structure, headers is null ? null : header);
            await using (responder.ConfigureAwait(false))
            {
                ImapResult? error;
                try
                {
                    error = await responder.WriteAsync(items, addFlags, cancellationToken).ConfigureAwait(false);
                }
                catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
                {
                    // Expunged by another session after the listing: reported as EXPUNGEISSUED below (RFC 5530).
                    vanished++;
                    continue;
                }
                if (error is not null)
                    return error;
            }
            await session.FlushIfLargeAsync(cancellationToken).ConfigureAwait(false);
        }
        // Sent with the tagged response.
        // RFC 5530 EXPUNGEISSUED: another session expunged some of them; their EXPUNGE comes at the next allowed moment.
        if (listed < uids.Count || vanished > 0)
            return ImapResult.No("Some messages were expunged meanwhile", "EXPUNGEISSUED");
        return ImapResult.Ok($"{prefix}FETCH completed");
    }
}
