using Tern.Imap.Protocol;

namespace Tern.Imap.Server.Notify;

/// <summary>Parses the arguments of NOTIFY SET (RFC 5465 8). Syntax errors and the rules of RFC 5465 5 about which events
/// go together throw <see cref="ImapParseException"/> (a tagged BAD); events the server does not offer are collected for
/// NO [BADEVENT] (RFC 5465 3.1).</summary>
/// <remarks><code>
/// notify-set       = "SET" [status-indicator] SP event-groups
/// status-indicator = SP "STATUS"            ; "(STATUS)" is accepted too
/// event-group      = "(" filter-mailboxes SP events ")"
/// filter-mailboxes = "selected" / "selected-delayed" / "inboxes" / "personal" / "subscribed" /
///                    ("subtree" SP one-or-more-mailbox) / ("mailboxes" SP one-or-more-mailbox)
/// one-or-more-mailbox = mailbox / "(" mailbox *(SP mailbox) ")"
/// events           = ("(" event *(SP event) ")") / "NONE"
/// event            = ("MessageNew" [SP "(" fetch-att *(SP fetch-att) ")"]) / "MessageExpunge" / "FlagChange" /
///                    "AnnotationChange" / "MailboxName" / "SubscriptionChange" / "MailboxMetadataChange" /
///                    "ServerMetadataChange" / event-ext
/// </code></remarks>
public static class NotifyParser
{
    const int MaxGroups = 100;
    const int MaxMailboxes = 1000;

    /// <summary>The events offered, for the BADEVENT response code.</summary>
    public const string Supported = "MessageNew MessageExpunge FlagChange MailboxName SubscriptionChange";

    public sealed record Result(NotifySpec Spec, IReadOnlyList<string> Unsupported);

    /// <summary>Reads what follows "NOTIFY SET" up to the end of the command.</summary>
    public static Result ParseSet(ImapArgumentReader args, bool utf8)
    {
        args.Space();
        bool status = false;
        var groups = new List<NotifyGroup>();
        var unsupported = new List<string>();
        if (args.TryKeyword("STATUS"))
        {
            status = true;
            args.Space();
            args.OpenList();
        }
        else
        {
            args.OpenList();
            if (args.TryKeyword("STATUS"))
            {
                // "(STATUS)": a form some clients and documents use for the status indicator.
                args.CloseList();
                status = true;
                args.Space();
                args.OpenList();
            }
        }
        while (true)
        {
            groups.Add(ParseGroupBody(args, utf8, unsupported));
            if (groups.Count > MaxGroups)
                throw new ImapParseException("Too many event groups");
            if (args.AtEnd)
                break;
            args.Space();
            args.OpenList();
        }
        if (groups.Count(g => g.IsSelected) > 1)
            throw new ImapParseException("selected may be given only once");
        return new Result(new NotifySpec(status, groups), unsupported);
    }

    /// <summary>An event group after its "(".</summary>
    static NotifyGroup ParseGroupBody(ImapArgumentReader args, bool utf8, List<string> unsupported)
    {
        var filterName = args.Atom().ToUpperInvariant();
        var filter = filterName switch
        {
            "SELECTED" => NotifyFilterKind.Selected,
            "SELECTED-DELAYED" => NotifyFilterKind.SelectedDelayed,
            "INBOXES" => NotifyFilterKind.Inboxes,
            "PERSONAL" => NotifyFilterKind.Personal,
            "SUBSCRIBED" => NotifyFilterKind.Subscribed,
            "SUBTREE" => NotifyFilterKind.Subtree,
            "MAILBOXES" => NotifyFilterKind.Mailboxes,
            _ => throw new ImapParseException($"Unknown NOTIFY filter {filterName}"),
        };
        var names = new List<string>();
        args.Space();
        if (filter is NotifyFilterKind.Subtree or NotifyFilterKind.Mailboxes)
        {
            if (args.TryOpenList())
            {
                while (true)
                {
                    names.Add(MailboxNames.Read(args, utf8));
                    if (names.Count > MaxMailboxes)
                        throw new ImapParseException("Too many mailboxes");
                    if (args.TryCloseList())
                        break;
                    args.Space();
                }
            }
            else
            {
                names.Add(MailboxNames.Read(args, utf8));
            }
            args.Space();
        }

        var events = NotifyEvents.None;
        List<FetchItem>? fetch = null;
        if (!args.TryKeyword("NONE"))
        {
            args.OpenList();
            while (true)
            {
                var name = args.Atom();
                bool spaceRead = false;
                switch (name.ToUpperInvariant())
                {
                    case "MESSAGENEW":
                        events |= NotifyEvents.MessageNew;
                        if (args.TryExpect(' '))
                        {
                            spaceRead = true;
                            if (args.PeekIs('('))
                            {
                                fetch = FetchParser.Parse(args);
                                spaceRead = false;
                            }
                        }
                        break;
                    case "MESSAGEEXPUNGE": events |= NotifyEvents.MessageExpunge; break;
                    case "FLAGCHANGE": events |= NotifyEvents.FlagChange; break;
                    case "MAILBOXNAME": events |= NotifyEvents.MailboxName; break;
                    case "SUBSCRIPTIONCHANGE": events |= NotifyEvents.SubscriptionChange; break;
                    default:
                        // AnnotationChange, MailboxMetadataChange, ServerMetadataChange (no ANNOTATE or METADATA here)
                        // and unknown extensions: refused with BADEVENT; their parameters are skipped.
                        unsupported.Add(name);
                        if (args.TryExpect(' '))
                        {
                            spaceRead = true;
                            if (args.PeekIs('('))
                            {
                                args.OpenList();
                                args.SkipListBody();
                                spaceRead = false;
                            }
                        }
                        break;
                }
                if (!spaceRead && args.TryCloseList())
                    break;
                if (!spaceRead)
                    args.Space();
            }
        }
        args.CloseList();

        bool isSelected = filter is NotifyFilterKind.Selected or NotifyFilterKind.SelectedDelayed;
        // RFC 5465 5 and 6.1: for the selected mailbox, whose message numbers the client tracks, MessageNew and
        // MessageExpunge come together, and FlagChange needs both. Other mailboxes only get STATUS, so any subset does
        // (RFC 5465 3.1 example, errata 1804: "(subtree Lists (MessageNew))").
        if (isSelected && (events & NotifyEvents.MessageNew) != 0 != ((events & NotifyEvents.MessageExpunge) != 0))
            throw new ImapParseException("MessageNew and MessageExpunge must be given together for selected (RFC 5465 5)");
        if (isSelected && (events & NotifyEvents.FlagChange) != 0 && (events & NotifyEvents.MessageNew) == 0)
            throw new ImapParseException("FlagChange needs MessageNew and MessageExpunge for selected (RFC 5465 5)");
        // RFC 5465 5.2: fetch attributes only describe new messages in the selected mailbox.
        if (fetch is not null && !isSelected)
            throw new ImapParseException("MessageNew fetch attributes are allowed only for selected");
        // RFC 5465 6: the selected filters are about messages; mailbox events are about the mailbox list.
        if (isSelected && (events & (NotifyEvents.MailboxName | NotifyEvents.SubscriptionChange)) != 0)
            throw new ImapParseException("Mailbox events cannot be given for selected");
        return new NotifyGroup(filter, names, events, fetch);
    }
}
