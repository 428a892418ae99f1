using Tern.Imap.Protocol;
using Tern.Imap.Server.Notify;

namespace Tern.Tests.Imap;

/// <summary>RFC 5465 8: the NOTIFY SET grammar (the text after "SET").</summary>
public sealed class NotifyParserTests
{
    [Fact]
    public void RFC_example_with_bare_STATUS_and_fetch_attributes_parses_into_ordered_groups()
    {
        var r = NotifyParser.ParseSet(FramerDriver.Args(
            " STATUS (selected (MessageNew (uid body.peek[header.fields (from to subject)]) MessageExpunge)) (subtree Lists (MessageNew)) (mailboxes (misc INBOX) (MessageNew FlagChange))"),
            utf8: false);
        Assert.Empty(r.Unsupported);
        Assert.True(r.Spec.SendStatus);
        Assert.Equal(3, r.Spec.Groups.Count);
        var selected = r.Spec.SelectedGroup!;
        Assert.Equal(NotifyEvents.MessageNew | NotifyEvents.MessageExpunge, selected.Events);
        Assert.Equal([FetchItemKind.Uid, FetchItemKind.BodySection], selected.FetchItems!.Select(i => i.Kind).ToArray());
        Assert.Equal(NotifyEvents.MessageNew, r.Spec.EventsFor("Lists/ietf", null));
        Assert.Equal(NotifyEvents.MessageNew | NotifyEvents.FlagChange, r.Spec.EventsFor("INBOX", null));
        Assert.Equal(NotifyEvents.None, r.Spec.EventsFor("Listsx", null));
    }

    [Fact]
    public void Parenthesised_STATUS_NONE_events_and_the_first_matching_group_win()
    {
        var r = NotifyParser.ParseSet(FramerDriver.Args(" (STATUS) (mailboxes Archive NONE) (personal (MailboxName))"), utf8: false);
        Assert.True(r.Spec.SendStatus);
        Assert.Equal(NotifyEvents.None, r.Spec.EventsFor("Archive", null));
        Assert.Equal(NotifyEvents.MailboxName, r.Spec.EventsFor("Other", null));
        var subscribed = NotifyParser.ParseSet(FramerDriver.Args(" (subscribed (MessageNew))"), utf8: false).Spec;
        Assert.Equal(NotifyEvents.MessageNew, subscribed.EventsFor("Lists", new HashSet<string> { "Lists" }));
        Assert.Equal(NotifyEvents.None, subscribed.EventsFor("Other", new HashSet<string> { "Lists" }));
    }

    [Fact]
    public void Unsupported_events_are_collected_with_their_parameters_skipped()
    {
        var r = NotifyParser.ParseSet(FramerDriver.Args(" (personal (AnnotationChange MailboxMetadataChange (/shared/x /private/y) MessageNew))"), utf8: false);
        Assert.Equal(["AnnotationChange", "MailboxMetadataChange"], r.Unsupported);
    }
}
