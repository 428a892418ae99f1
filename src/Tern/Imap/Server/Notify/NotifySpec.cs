using Tern.Imap.Protocol;

namespace Tern.Imap.Server.Notify;

/// <summary>RFC 5465 6: which mailboxes an event group is about.</summary>
public enum NotifyFilterKind { Selected, SelectedDelayed, Inboxes, Personal, Subscribed, Subtree, Mailboxes }

/// <summary>The RFC 5423 events this server reports (RFC 5465 5).</summary>
[Flags]
public enum NotifyEvents
{
    None = 0,
    MessageNew = 1,
    MessageExpunge = 2,
    FlagChange = 4,
    MailboxName = 8,
    SubscriptionChange = 16,
    MessageEvents = MessageNew | MessageExpunge | FlagChange,
}

/// <param name="Names">The mailboxes of "subtree" and "mailboxes", in store form; empty for the other filters.</param>
/// <param name="FetchItems">RFC 5465 5.2: what to FETCH for a new message in the selected mailbox, or null.</param>
public sealed record NotifyGroup(NotifyFilterKind Filter, IReadOnlyList<string> Names, NotifyEvents Events, List<FetchItem>? FetchItems)
{
    public bool IsSelected => Filter is NotifyFilterKind.Selected or NotifyFilterKind.SelectedDelayed;

    /// <summary>Whether a mailbox other than the selected one falls under this group's filter (RFC 5465 6).</summary>
    public bool Matches(string name, IReadOnlySet<string>? subscribed) => Filter switch
    {
        // RFC 5465 6 "inboxes": where new mail is delivered; Tern delivers to INBOX (Sieve is not offered).
        NotifyFilterKind.Inboxes => name == "INBOX",
        NotifyFilterKind.Personal => true,
        NotifyFilterKind.Subscribed => subscribed?.Contains(name) ?? false,
        NotifyFilterKind.Subtree => Names.Any(n => Tern.Store.MailboxNames.IsSameOrBelow(name, n)),
        NotifyFilterKind.Mailboxes => Names.Contains(name, StringComparer.Ordinal),
        _ => false,
    };
}

/// <summary>A parsed NOTIFY SET (RFC 5465 3.1).</summary>
/// <param name="SendStatus">The STATUS indicator: an initial STATUS for each mailbox watched for message events.</param>
public sealed record NotifySpec(bool SendStatus, IReadOnlyList<NotifyGroup> Groups)
{
    public NotifyGroup? SelectedGroup => Groups.FirstOrDefault(g => g.IsSelected);

    public bool UsesSubscriptions => Groups.Any(g => g.Filter == NotifyFilterKind.Subscribed);

    /// <summary>RFC 5465 6: the events of the first event group whose filter takes in the mailbox.</summary>
    public NotifyEvents EventsFor(string name, IReadOnlySet<string>? subscribed)
    {
        foreach (var group in Groups)
        {
            if (!group.IsSelected && group.Matches(name, subscribed))
                return group.Events;
        }
        return NotifyEvents.None;
    }
}
