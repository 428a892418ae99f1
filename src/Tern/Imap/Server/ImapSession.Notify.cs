using Tern.Imap.Protocol;
using Tern.Imap.Server.Commands;
using Tern.Imap.Server.Notify;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>RFC 5465 NOTIFY: store events about mailboxes other than the selected one become untagged STATUS and LIST
/// responses, sent after each command, during IDLE and while the session waits for the next command.</summary>
public sealed partial class ImapSession
{
    readonly object notifyGate = new();
    readonly Queue<MailboxChange> notifyPending = new();
    TaskCompletionSource notifySignal = new(TaskCreationOptions.RunContinuationsAsynchronously);
    bool notifyOverflowed;

    /// <summary>Mailbox names by id, kept for the OLDNAME of a rename (RFC 5465 5.4); the store reports only the new name.</summary>
    readonly Dictionary<long, string> notifyNames = [];

    /// <summary>The NOTIFY SET in force, or null (none, NOTIFY NONE, or stopped by an overflow).</summary>
    public NotifySpec? Notify { get; private set; }

    /// <summary>RFC 5465 3.1: replaces what the session is told about. Events already queued under the old settings are dropped.</summary>
    public async Task SetNotifyAsync(NotifySpec? spec, CancellationToken cancellationToken)
    {
        var names = spec is null ? null : await Account!.ListMailboxesAsync(cancellationToken).ConfigureAwait(false);
        lock (notifyGate)
        {
            notifyPending.Clear();
            notifyOverflowed = false;
            notifyNames.Clear();
            if (names is not null)
            {
                foreach (var m in names)
                    notifyNames[m.Id] = m.Name;
            }
            Notify = spec;
        }
    }

    /// <summary>Store notification (any thread): queued for NOTIFY when a NOTIFY SET is in force.</summary>
    void EnqueueNotification(MailboxChange change)
    {
        TaskCompletionSource toSignal;
        lock (notifyGate)
        {
            if (Notify is null || notifyOverflowed)
                return;
            if (notifyPending.Count >= Options.Imap.MaxPendingNotifications)
            {
                // RFC 5465 5.8: the events are lost; the client is told and must resynchronise itself.
                notifyOverflowed = true;
                notifyPending.Clear();
            }
            else
            {
                notifyPending.Enqueue(change);
            }
            toSignal = notifySignal;
        }
        toSignal.TrySetResult();
    }

    /// <summary>Completes when NOTIFY has something to send: a queued event, or a change of the selected mailbox when a
    /// "selected" filter asks for them at once. Never completes without NOTIFY.</summary>
    public Task WaitForNotificationAsync()
    {
        Task? selectedChange = Notify?.SelectedGroup is { Events: not NotifyEvents.None } ? Selected?.WaitForChangeAsync() : null;
        Task own;
        lock (notifyGate)
        {
            if (Notify is null)
                return selectedChange ?? Task.Delay(Timeout.Infinite);
            own = notifyPending.Count > 0 || notifyOverflowed ? Task.CompletedTask : notifySignal.Task;
        }
        return selectedChange is null ? own : Task.WhenAny(own, selectedChange);
    }

    /// <summary>Sends what NOTIFY has gathered. <paramref name="betweenCommands"/>: no command is running, so changes of
    /// the selected mailbox are sent too when a "selected" filter asks for them (after a command, the command loop
    /// already sends them).</summary>
    public async Task SendNotificationsAsync(bool betweenCommands, CancellationToken cancellationToken)
    {
        if (Account is null)
            return;
        List<MailboxChange> changes;
        bool overflow;
        lock (notifyGate)
        {
            if (notifySignal.Task.IsCompleted)
                notifySignal = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            changes = [.. notifyPending];
            notifyPending.Clear();
            overflow = notifyOverflowed;
            if (overflow)
            {
                Notify = null;
                notifyOverflowed = false;
            }
        }
        if (overflow)
        {
            ImapLog.NotifyOverflow(Connection.Logger, Id, Options.Imap.MaxPendingNotifications);
            await WriteLineAsync("* OK [NOTIFICATIONOVERFLOW] Too many events; notifications stopped", cancellationToken).ConfigureAwait(false);
            return;
        }
        var spec = Notify;
        if (spec is null)
            return;
        if (betweenCommands && State == ImapState.Selected && spec.SelectedGroup is { Events: not NotifyEvents.None } group)
        {
            // RFC 5465 6: "selected" lets EXPUNGE out at once; "selected-delayed" keeps it for a command that allows it.
            bool expunge = group.Filter == NotifyFilterKind.Selected && (group.Events & NotifyEvents.MessageExpunge) != 0;
            await SendUpdatesAsync(expunge, cancellationToken).ConfigureAwait(false);
            if (State == ImapState.Logout)
                return;
        }
        if (changes.Count == 0)
            return;
        try
        {
            await WriteNotificationsAsync(spec, changes, cancellationToken).ConfigureAwait(false);
        }
        catch (MailStoreException ex)
        {
            // The events are lost, the session goes on; the client still learns the state from its next STATUS or LIST.
            ImapLog.StoreError(Connection.Logger, Id, "NOTIFY", ex.Error.ToString(), ex.Message);
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    async Task WriteNotificationsAsync(NotifySpec spec, List<MailboxChange> changes, CancellationToken cancellationToken)
    {
        var account = Account!;
        IReadOnlySet<string>? subscribed = null;
        if (spec.UsesSubscriptions || changes.Any(c => c.Kind == MailboxChangeKind.SubscriptionChanged))
            subscribed = (await account.ListSubscriptionsAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal);
        var statusFor = new List<(long Id, string Name)>();
        var statusIds = new HashSet<long>();
        foreach (var change in changes)
        {
            string? oldName;
            lock (notifyGate)
            {
                notifyNames.TryGetValue(change.MailboxId, out oldName);
                if (change.Kind == MailboxChangeKind.MailboxDeleted)
                    notifyNames.Remove(change.MailboxId);
                else if (change.Kind is MailboxChangeKind.MailboxCreated or MailboxChangeKind.MailboxRenamed)
                    notifyNames[change.MailboxId] = change.MailboxName;
            }
            var name = change.MailboxName;
            var events = spec.EventsFor(name, subscribed);
            switch (change.Kind)
            {
                case MailboxChangeKind.Appended or MailboxChangeKind.Expunged or MailboxChangeKind.FlagsChanged:
                {
                    var wanted = change.Kind switch
                    {
                        MailboxChangeKind.Appended => NotifyEvents.MessageNew,
                        MailboxChangeKind.Expunged => NotifyEvents.MessageExpunge,
                        _ => NotifyEvents.FlagChange,
                    };
                    // RFC 5465 5.2-5.3: the selected mailbox is reported with EXISTS, EXPUNGE and FETCH instead.
                    if ((events & wanted) != 0 && change.MailboxId != Selected?.Id && statusIds.Add(change.MailboxId))
                        statusFor.Add((change.MailboxId, name));
                    break;
                }
                case MailboxChangeKind.MailboxCreated:
                    if ((events & NotifyEvents.MailboxName) != 0)
                        await WriteMailboxListAsync(name, null, null, cancellationToken).ConfigureAwait(false);
                    break;
                case MailboxChangeKind.MailboxRenamed:
                    // A rename counts when either name is watched.
                    if (((events | (oldName is null ? NotifyEvents.None : spec.EventsFor(oldName, subscribed))) & NotifyEvents.MailboxName) != 0)
                        await WriteMailboxListAsync(name, oldName, null, cancellationToken).ConfigureAwait(false);
                    break;
                case MailboxChangeKind.MailboxDeleted:
                    if ((events & NotifyEvents.MailboxName) != 0)
                    {
                        // A mailbox with children stays as \Noselect (RFC 3501 6.3.4); otherwise it is gone.
                        if (await account.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false) is not null)
                            await WriteMailboxListAsync(name, null, null, cancellationToken).ConfigureAwait(false);
                        else
                            WriteNonExistent(name);
                    }
                    break;
                case MailboxChangeKind.SubscriptionChanged:
                    if ((events & NotifyEvents.SubscriptionChange) != 0)
                        await WriteMailboxListAsync(name, null, subscribed, cancellationToken).ConfigureAwait(false);
                    break;
            }
        }
        foreach (var (id, name) in statusFor)
        {
            string current;
            lock (notifyGate)
                current = notifyNames.TryGetValue(id, out var n) ? n : name;
            await WriteNotifyStatusAsync(current, cancellationToken).ConfigureAwait(false);
        }
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>RFC 5465 5.2-5.3: the STATUS items a NOTIFY client is sent about a mailbox; HIGHESTMODSEQ once CONDSTORE is
    /// on (RFC 7162 3.1.6). A mailbox gone meanwhile is skipped (its deletion is a MailboxName event).</summary>
    public async Task WriteNotifyStatusAsync(string name, CancellationToken cancellationToken)
    {
        List<string> items = ["MESSAGES", "UIDNEXT", "UIDVALIDITY", "UNSEEN"];
        if (CondstoreEnabled)
            items.Add("HIGHESTMODSEQ");
        try
        {
            if (await Account!.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false) is not { NoSelect: false })
                return;
            await StatusCommand.WriteStatusAsync(this, name, items, cancellationToken).ConfigureAwait(false);
        }
        catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
        {
        }
    }

    /// <summary>RFC 5465 5.4-5.5: a LIST response for a created, renamed or (un)subscribed mailbox, with the OLDNAME
    /// extended item of RFC 5258 after a rename.</summary>
    async Task WriteMailboxListAsync(string name, string? oldName, IReadOnlySet<string>? subscribed, CancellationToken cancellationToken)
    {
        var info = await Account!.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false);
        var attributes = ListCommand.Attributes(info, extended: true, showSubscribed: false);
        // RFC 5465 5.5: after a subscription change the LIST tells the new state with or without \Subscribed.
        if (subscribed is not null && subscribed.Contains(name))
            attributes = attributes.Length == 0 ? "\\Subscribed" : attributes + " \\Subscribed";
        var writer = Writer.Raw("* LIST (").Raw(attributes).Raw(") \"/\" ").Mailbox(name);
        if (oldName is not null)
            writer = writer.Raw(" (\"OLDNAME\" (").Mailbox(oldName).Raw("))");
        writer.Crlf();
        Connection.LogReply($"* LIST ({attributes}) \"/\" {name}" + (oldName is null ? "" : $" (\"OLDNAME\" ({oldName}))"));
    }

    /// <summary>RFC 5465 5.4: a deleted mailbox is announced as \NonExistent.</summary>
    void WriteNonExistent(string name)
    {
        Writer.Raw("* LIST (\\NonExistent) \"/\" ").Mailbox(name).Crlf();
        Connection.LogReply($"* LIST (\\NonExistent) \"/\" {name}");
    }

    /// <summary>RFC 5465 5.2: "MessageNew (fetch-att ...)" for the selected mailbox: a FETCH for each new message after EXISTS.</summary>
    async Task WriteNewMessageFetchesAsync(SelectedMailbox selected, IReadOnlyList<MessageInfo> added, CancellationToken cancellationToken)
    {
        var items = Notify?.SelectedGroup?.FetchItems;
        if (items is null || added.Count == 0)
            return;
        foreach (var info in added)
        {
            int seq = selected.SeqOf(info.Uid);
            if (seq == 0)
                continue;
            var responder = new FetchResponder(this, selected, info, seq);
            await using (responder.ConfigureAwait(false))
            {
                try
                {
                    await responder.WriteAsync(items, addFlags: false, cancellationToken).ConfigureAwait(false);
                }
                catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
                {
                    // Expunged meanwhile; its EXPUNGE follows.
                }
            }
            await FlushIfLargeAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
