using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server;

public sealed partial class ImapSession
{
    /// <summary>Store notification (any thread): queued for the selected mailbox, announced at the next allowed moment.</summary>
    void OnMailboxChanged(MailboxChange change)
    {
        var selected = Selected;
        if (selected is not null && change.MailboxId == selected.Id)
            selected.Enqueue(change);
        EnqueueNotification(change);
    }

    /// <summary>Announces what changed in the selected mailbox (RFC 9051 7.3.1 EXISTS, 7.5.1 EXPUNGE or RFC 7162 3.2.10 VANISHED,
    /// 7.5.2 FETCH FLAGS with MODSEQ once CONDSTORE is enabled).
    /// EXPUNGE is held back while a command that uses sequence numbers runs (RFC 9051 7.5.1, RFC 3501 7.4.1).</summary>
    /// <param name="flush">False when the caller sends them with what follows (the tagged response).</param>
    public async Task SendUpdatesAsync(bool expungeAllowed, CancellationToken cancellationToken, bool flush = true)
    {
        var selected = Selected;
        if (selected is null || Account is null)
            return;
        var changes = selected.TakePending();
        bool appended = false;
        var flagUids = new SortedSet<long>();
        foreach (var change in changes)
        {
            switch (change.Kind)
            {
                case MailboxChangeKind.Appended:
                    appended = true;
                    break;
                case MailboxChangeKind.Expunged:
                    selected.DeferredExpunges.AddRange(change.Uids);
                    break;
                case MailboxChangeKind.FlagsChanged:
                    if (!selected.OwnModSeqs.Remove(change.HighestModSeq))
                        flagUids.UnionWith(change.Uids);
                    break;
                case MailboxChangeKind.MailboxDeleted:
                    selected.Deleted = true;
                    break;
                case MailboxChangeKind.MailboxRenamed:
                    selected.Name = change.MailboxName;
                    break;
            }
        }

        if (flagUids.Count > 0)
        {
            var known = flagUids.Where(u => selected.SeqOf(u) > 0).ToList();
            if (known.Count > 0)
            {
                var infos = await Account.GetMessagesAsync(selected.Id, UidSet.FromSorted(known), cancellationToken).ConfigureAwait(false);
                foreach (var info in infos)
                {
                    int seq = selected.SeqOf(info.Uid);
                    if (seq == 0)
                        continue;
                    WriteBuffered($"* {seq} FETCH ({FlagUpdateItems(info, withUid: true)})");
                }
            }
        }

        if (expungeAllowed && selected.DeferredExpunges.Count > 0)
        {
            WriteExpunged(selected, selected.DeferredExpunges);
            selected.DeferredExpunges.Clear();
        }

        IReadOnlyList<MessageInfo> announced = [];
        if (appended)
        {
            int before = selected.Count;
            var added = await Account.GetMessagesAsync(selected.Id, UidSet.Range(selected.MaxUid + 1, long.MaxValue), cancellationToken)
                .ConfigureAwait(false);
            if (added.Count > 0)
            {
                long recentFrom = selected.ReadOnly ? long.MaxValue
                    : await Account.ClaimRecentAsync(selected.Id, cancellationToken).ConfigureAwait(false);
                selected.Append(added.Select(m => m.Uid), recentFrom);
                announced = added;
            }
            if (selected.Count != before)
            {
                WriteBuffered($"* {selected.Count} EXISTS");
                if (!Rev2Enabled)
                    WriteBuffered($"* {selected.RecentCount} RECENT");
                await WriteNewMessageFetchesAsync(selected, announced, cancellationToken).ConfigureAwait(false);
            }
        }
        if (flush || selected.Deleted)
            await FlushAsync(cancellationToken).ConfigureAwait(false);

        if (selected.Deleted)
        {
            await WriteLineAsync("* BYE Selected mailbox was deleted", cancellationToken).ConfigureAwait(false);
            Logout();
        }
    }
}
