#nullable disable
using MailKit;
using MailKit.Search;

namespace Tern.Tests.Imap;

/// <summary>SORT and THREAD end to end with MailKit and with Python's imaplib, on the crafted mailbox.</summary>
public sealed class SortThreadClientTests
{
    static string Uids(IEnumerable<UniqueId> uids) => string.Join(' ', uids.Select(u => u.Id));

    /// <summary>MailKit's MessageThread tree written back in RFC 5256 thread-list syntax.</summary>
    static string Format(IList<MessageThread> threads)
    {
        static string Node(MessageThread t)
        {
            var children = t.Children;
            var head = t.UniqueId is { } uid ? uid.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) : "";
            if (children.Count == 0) return head;
            var sep = head.Length > 0 ? " " : "";
            return children.Count == 1
                ? head + sep + Node(children[0])
                : head + sep + string.Concat(children.Select(c => "(" + Node(c) + ")"));
        }
        return string.Concat(threads.Select(t => "(" + Node(t) + ")"));
    }

    [Fact]
    public async Task MailKit_sorts_and_threads_the_crafted_mailbox()
    {
        var (server, user) = await SortThreadMailbox.StartFilledAsync();
        await using var _ = server;
        using var client = await ImapTestMail.ConnectAsync(server, user);
        Assert.True(client.Capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.Sort));
        Assert.True(client.Capabilities.HasFlag(MailKit.Net.Imap.ImapCapabilities.ESort));
        Assert.Contains(ThreadingAlgorithm.References, client.ThreadingAlgorithms);
        Assert.Contains(ThreadingAlgorithm.OrderedSubject, client.ThreadingAlgorithms);
        var inbox = client.Inbox;
        await inbox.OpenAsync(FolderAccess.ReadOnly);

        Assert.Equal(SortThreadMailbox.ByDate, Uids(await inbox.SortAsync(SearchQuery.All, [OrderBy.Date])));
        Assert.Equal(SortThreadMailbox.ByReverseDate, Uids(await inbox.SortAsync(SearchQuery.All, [OrderBy.ReverseDate])));
        Assert.Equal(SortThreadMailbox.ByArrival, Uids(await inbox.SortAsync(SearchQuery.All, [OrderBy.Arrival])));
        Assert.Equal(SortThreadMailbox.BySubjectThenDate, Uids(await inbox.SortAsync(SearchQuery.All, [OrderBy.Subject, OrderBy.Date])));
        Assert.Equal(SortThreadMailbox.ByFrom, Uids(await inbox.SortAsync(SearchQuery.All, [OrderBy.From])));
        Assert.Equal(SortThreadMailbox.ByDisplayFrom, Uids(await inbox.SortAsync(SearchQuery.All, [OrderBy.DisplayFrom])));
        Assert.Equal(SortThreadMailbox.ByCc, Uids(await inbox.SortAsync(SearchQuery.All, [OrderBy.Cc])));
        Assert.Equal("1 2 3", Uids(await inbox.SortAsync(SearchQuery.SubjectContains("HELLO"), [OrderBy.Arrival])));

        // ESORT through MailKit's SearchOptions.
        var results = await inbox.SortAsync(SearchOptions.Count | SearchOptions.Min | SearchOptions.Max, SearchQuery.All, [OrderBy.Date]);
        Assert.Equal(8, results.Count);
        Assert.Equal(6u, results.Min.Value.Id);
        Assert.Equal(4u, results.Max.Value.Id);

        Assert.Equal(SortThreadMailbox.References, Format(await inbox.ThreadAsync(ThreadingAlgorithm.References, SearchQuery.All)));
        Assert.Equal(SortThreadMailbox.OrderedSubject, Format(await inbox.ThreadAsync(ThreadingAlgorithm.OrderedSubject, SearchQuery.All)));
        await client.DisconnectAsync(true);
    }

    const string Script = """
import imaplib, sys
host, port, user, password, by_date, references, ordered = sys.argv[1:8]
m = imaplib.IMAP4(host, int(port))
m.login(user, password)
typ, caps = m.capability(); assert b'SORT' in caps[0].split() and b'THREAD=REFERENCES' in caps[0].split(), caps
m.select('INBOX')
typ, data = m.sort('(DATE)', 'UTF-8', 'ALL'); assert typ == 'OK' and data[0].decode() == by_date, data
typ, data = m.uid('SORT', '(REVERSE DATE)', 'UTF-8', 'ALL'); assert typ == 'OK' and data[0].decode() == '4 2 1 3 5 8 7 6', data
typ, data = m.thread('REFERENCES', 'UTF-8', 'ALL'); assert typ == 'OK' and data[0].decode() == references, data
typ, data = m.thread('ORDEREDSUBJECT', 'UTF-8', 'ALL'); assert typ == 'OK' and data[0].decode() == ordered, data
typ, data = m.sort('(SUBJECT)', 'UTF-8', 'SUBJECT', '"something"'); assert data[0] == b'4 5', data
try:
    m.sort('(NOSUCHKEY)', 'UTF-8', 'ALL'); raise SystemExit('no error for a bad sort key')
except imaplib.IMAP4.error:
    pass
typ, data = m.noop(); assert typ == 'OK'
m.logout()
print('PYTHON-OK')
""";

    [Fact]
    public async Task Python_imaplib_sorts_and_threads_the_crafted_mailbox()
    {
        var (server, user) = await SortThreadMailbox.StartFilledAsync();
        await using var _ = server;
        await ImapTestMail.RunPythonScriptAsync(server, user, Script, SortThreadMailbox.ByDate, SortThreadMailbox.References, SortThreadMailbox.OrderedSubject);
    }
}
