namespace Tern.Tests.Imap;

/// <summary>SORT, THREAD, ESORT and PARTIAL as recorded dialogs against the crafted mailbox, and their bad input.</summary>
public sealed class SortThreadDialogTests
{
    static async Task<(Tern.Tests.Fixtures.TernTestServer, ImapDialog)> OpenAsync()
    {
        var (server, user) = await SortThreadMailbox.StartFilledAsync();
        var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        Assert.True((await c.CommandAsync("SELECT INBOX")).Ok);
        return (server, c);
    }

    [Fact]
    public async Task SORT_orders_by_each_RFC_5256_and_RFC_5957_key()
    {
        var (server, c) = await OpenAsync();
        await using var _ = server;
        await using var __ = c;
        async Task<string> Sort(string criteria)
        {
            var r = await c.CommandAsync($"SORT ({criteria}) UTF-8 ALL");
            Assert.Equal("OK SORT completed", r.Tagged);
            return Assert.Single(r.Untagged)["* SORT ".Length..];
        }
        Assert.Equal(SortThreadMailbox.ByDate, await Sort("DATE"));
        Assert.Equal(SortThreadMailbox.ByReverseDate, await Sort("REVERSE DATE"));
        Assert.Equal(SortThreadMailbox.ByArrival, await Sort("ARRIVAL"));
        Assert.Equal(SortThreadMailbox.BySubject, await Sort("SUBJECT"));
        Assert.Equal(SortThreadMailbox.BySubjectThenDate, await Sort("SUBJECT DATE"));
        Assert.Equal(SortThreadMailbox.ByFrom, await Sort("FROM"));
        Assert.Equal(SortThreadMailbox.ByDisplayFrom, await Sort("DISPLAYFROM"));
        Assert.Equal(SortThreadMailbox.ByTo, await Sort("TO"));
        Assert.Equal(SortThreadMailbox.ByCc, await Sort("CC"));
        Assert.Equal("8 7 6 5 3 2 1 4", await Sort("REVERSE ARRIVAL"));
        Assert.Equal("8 7 6 5 4 3 2 1", await Sort("REVERSE DISPLAYFROM"));
        // Search criteria narrow the set; sequence order breaks ties after REVERSE too.
        var r = await c.CommandAsync("SORT (SUBJECT) US-ASCII SUBJECT \"hello\"");
        Assert.Equal("* SORT 1 2 3", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SORT (REVERSE SUBJECT) UTF-8 SUBJECT \"hello\"");
        Assert.Equal("* SORT 1 2 3", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SORT (DATE) UTF-8 SUBJECT \"no such subject\"");
        Assert.Equal("* SORT", Assert.Single(r.Untagged));
        // UID SORT answers UIDs: expunge message 6 so that UIDs and sequence numbers differ.
        Assert.True((await c.CommandAsync("STORE 6 +FLAGS (\\Deleted)")).Ok);
        Assert.True((await c.CommandAsync("EXPUNGE")).Ok);
        r = await c.CommandAsync("UID SORT (DATE) UTF-8 ALL");
        Assert.Equal("OK UID SORT completed", r.Tagged);
        Assert.Equal("* SORT 7 8 5 3 1 2 4", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SORT (DATE) UTF-8 ALL");
        Assert.Equal("* SORT 6 7 5 3 1 2 4", Assert.Single(r.Untagged));
    }

    [Fact]
    public async Task THREAD_REFERENCES_and_ORDEREDSUBJECT_follow_RFC_5256()
    {
        var (server, c) = await OpenAsync();
        await using var _ = server;
        await using var __ = c;
        var r = await c.CommandAsync("THREAD REFERENCES UTF-8 ALL");
        Assert.Equal("OK THREAD completed", r.Tagged);
        Assert.Equal("* THREAD " + SortThreadMailbox.References, Assert.Single(r.Untagged));
        r = await c.CommandAsync("THREAD ORDEREDSUBJECT UTF-8 ALL");
        Assert.Equal("* THREAD " + SortThreadMailbox.OrderedSubject, Assert.Single(r.Untagged));
        r = await c.CommandAsync("UID THREAD REFERENCES UTF-8 ALL");
        Assert.Equal("OK UID THREAD completed", r.Tagged);
        Assert.Equal("* THREAD " + SortThreadMailbox.References, Assert.Single(r.Untagged)); // UIDs equal sequence numbers here
        r = await c.CommandAsync("THREAD REFERENCES UTF-8 SUBJECT \"nothing like this\"");
        Assert.Equal("* THREAD", Assert.Single(r.Untagged));
        // Without message 1, 3 (a forward) heads the HELLO WORLD thread and 2's parent <a1@x> is message 6 (the duplicate
        // no longer has an earlier holder of that ID).
        Assert.True((await c.CommandAsync("STORE 1 +FLAGS (\\Deleted)")).Ok);
        Assert.True((await c.CommandAsync("EXPUNGE")).Ok);
        r = await c.CommandAsync("UID THREAD REFERENCES UTF-8 ALL");
        Assert.Equal("* THREAD (6 2)(8 7)((5)(4))(3)", Assert.Single(r.Untagged));
    }

    [Fact]
    public async Task ESORT_and_PARTIAL_return_windows_and_counts()
    {
        var (server, c) = await OpenAsync();
        await using var _ = server;
        await using var __ = c;
        var r = await c.CommandAsync("SORT RETURN (MIN MAX COUNT) (DATE) UTF-8 ALL");
        Assert.Equal("OK SORT completed", r.Tagged);
        Assert.Equal("* ESEARCH (TAG \"t3\") MIN 6 MAX 4 COUNT 8", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SORT RETURN (ALL) (ARRIVAL) UTF-8 ALL");
        Assert.Equal("* ESEARCH (TAG \"t4\") ALL 4,1:3,5:8", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SORT RETURN () (DATE) UTF-8 ALL");
        Assert.Equal("* ESEARCH (TAG \"t5\") ALL 6:8,5,3,1:2,4", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SORT RETURN (PARTIAL 2:4) (DATE) UTF-8 ALL");
        Assert.Equal("* ESEARCH (TAG \"t6\") PARTIAL (2:4 7:8,5)", Assert.Single(r.Untagged));
        r = await c.CommandAsync("UID SORT RETURN (COUNT PARTIAL -1:-2) (DATE) UTF-8 ALL");
        Assert.Equal("* ESEARCH (TAG \"t7\") UID COUNT 8 PARTIAL (-1:-2 2,4)", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SEARCH RETURN (PARTIAL 3:5) ALL");
        Assert.Equal("* ESEARCH (TAG \"t8\") PARTIAL (3:5 3:5)", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SEARCH RETURN (PARTIAL -1:-3 COUNT) NOT DELETED");
        Assert.Equal("* ESEARCH (TAG \"t9\") COUNT 8 PARTIAL (-1:-3 6:8)", Assert.Single(r.Untagged));
        r = await c.CommandAsync("SEARCH RETURN (PARTIAL 100:200) ALL");
        Assert.Equal("* ESEARCH (TAG \"t10\") PARTIAL (100:200 NIL)", Assert.Single(r.Untagged));
        // SORT RETURN (SAVE) keeps the result for "$" (RFC 5182), without an ESEARCH response.
        r = await c.CommandAsync("SORT RETURN (SAVE) (DATE) UTF-8 SUBJECT \"something\"");
        Assert.Empty(r.Untagged);
        r = await c.CommandAsync("SEARCH $");
        Assert.Equal("* SEARCH 4 5", Assert.Single(r.Untagged));
    }

    [Theory]
    [InlineData("SORT () UTF-8 ALL", "BAD")]
    [InlineData("SORT (FOO) UTF-8 ALL", "BAD")]
    [InlineData("SORT (REVERSE) UTF-8 ALL", "BAD")]
    [InlineData("SORT (REVERSE REVERSE DATE) UTF-8 ALL", "BAD")]
    [InlineData("SORT (DATE) UTF-8", "BAD")]
    [InlineData("SORT (DATE)", "BAD")]
    [InlineData("SORT DATE UTF-8 ALL", "BAD")]
    [InlineData("SORT (DATE) UTF-8 FROBNICATE", "BAD")]
    [InlineData("SORT (DATE) KOI8-R ALL", "NO [BADCHARSET (UTF-8 US-ASCII)]")]
    [InlineData("SORT RETURN (BOGUS) (DATE) UTF-8 ALL", "BAD")]
    [InlineData("SORT RETURN (ALL PARTIAL 1:5) (DATE) UTF-8 ALL", "BAD")]
    [InlineData("THREAD FOO UTF-8 ALL", "BAD")]
    [InlineData("THREAD REFERENCES UTF-8", "BAD")]
    [InlineData("THREAD REFERENCES X-UNKNOWN ALL", "NO [BADCHARSET (UTF-8 US-ASCII)]")]
    [InlineData("SEARCH RETURN (PARTIAL 0:5) ALL", "BAD")]
    [InlineData("SEARCH RETURN (PARTIAL 1:-5) ALL", "BAD")]
    [InlineData("SEARCH RETURN (PARTIAL 5) ALL", "BAD")]
    [InlineData("SEARCH RETURN (PARTIAL 1:99999999999) ALL", "BAD")]
    [InlineData("SEARCH RETURN (PARTIAL) ALL", "BAD")]
    [InlineData("SEARCH CHARSET ISO-2022-JP SUBJECT x", "NO [BADCHARSET (UTF-8 US-ASCII)]")]
    public async Task Bad_sort_and_thread_arguments_get_BAD_or_NO_and_the_session_goes_on(string command, string expected)
    {
        var (server, c) = await OpenAsync();
        await using var _ = server;
        await using var __ = c;
        var r = await c.CommandAsync(command);
        Assert.StartsWith(expected, r.Tagged);
        Assert.True((await c.CommandAsync("NOOP")).Ok);
    }

    [Fact]
    public async Task Capabilities_advertise_SORT_THREAD_ESORT_and_PARTIAL_after_login_and_SORT_needs_a_selected_mailbox()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        var caps = (await c.CommandAsync("CAPABILITY")).Untagged[0].Split(' ');
        foreach (var cap in new[] { "SORT", "SORT=DISPLAY", "THREAD=ORDEREDSUBJECT", "THREAD=REFERENCES", "ESORT", "PARTIAL" })
            Assert.Contains(cap, caps);
        Assert.StartsWith("BAD", (await c.CommandAsync("SORT (DATE) UTF-8 ALL")).Tagged);
        Assert.StartsWith("BAD", (await c.CommandAsync("THREAD REFERENCES UTF-8 ALL")).Tagged);
    }
}
