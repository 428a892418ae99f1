using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.5 FETCH and 6.4.9 UID FETCH. Metadata comes from the index and the stored structure; body
/// sections are streamed from the message file into the connection as literals.</summary>
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
        if (args.TryExpect(' '))
        {
            // fetch-modifiers (RFC 4466); CHANGEDSINCE arrives with issue 9.
            args.OpenList();
            args.SkipListBody();
        }
        args.ExpectEnd();
        if (request.Uid && !items.Any(i => i.Kind == FetchItemKind.Uid))
            items.Insert(0, new FetchItem(FetchItemKind.Uid)); // RFC 9051 6.4.9: UID FETCH always returns UID

        var selected = session.Selected!;
        var uids = selected.Resolve(set, request.Uid);
        var prefix = request.Uid ? "UID " : "";
        if (uids.Count == 0)
            return ImapResult.Ok($"{prefix}FETCH completed");
        var account = session.Account!;
        var uidSet = UidSet.FromSorted(uids);
        var infos = await account.GetMessagesAsync(selected.Id, uidSet, cancellationToken).ConfigureAwait(false);

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
            }
        }

        // Structures come from the index in one read per batch rather than one per message; the batch bounds memory
        // on a FETCH of a whole large mailbox.
        bool needsStructure = items.Any(i => i.NeedsStructure || i.Kind is FetchItemKind.Rfc822Header or FetchItemKind.Rfc822Text);
        IReadOnlyDictionary<long, MessageStructure>? structures = null;
        int batchEnd = 0;
        int vanished = 0;
        for (int index = 0; index < infos.Count; index++)
        {
            var info = infos[index];
            if (needsStructure && index >= batchEnd)
            {
                batchEnd = Math.Min(infos.Count, index + StructureBatch);
                var batch = UidSet.FromSorted(infos.Skip(index).Take(batchEnd - index).Select(i => i.Uid).ToList());
                structures = await account.GetStructuresAsync(selected.Id, batch, cancellationToken).ConfigureAwait(false);
            }
            int seq = selected.SeqOf(info.Uid);
            if (seq == 0)
                continue;
            MessageStructure? structure = null;
            if (structures is not null && !structures.TryGetValue(info.Uid, out structure))
            {
                vanished++; // expunged by another session after the listing
                continue;
            }
            var responder = new FetchResponder(session, selected, info, seq, structure);
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
        await session.FlushAsync(cancellationToken).ConfigureAwait(false);
        // RFC 5530 EXPUNGEISSUED: another session expunged some of them; their EXPUNGE comes at the next allowed moment.
        if (infos.Count < uids.Count || vanished > 0)
            return ImapResult.No("Some messages were expunged meanwhile", "EXPUNGEISSUED");
        return ImapResult.Ok($"{prefix}FETCH completed");
    }
}
