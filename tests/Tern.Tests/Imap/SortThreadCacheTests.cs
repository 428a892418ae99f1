namespace Tern.Tests.Imap;

/// <summary>SORT and THREAD answered from the sort data the store keeps between commands: another session's appends and
/// expunges show as soon as this session has seen them, never before.</summary>
public sealed class SortThreadCacheTests
{
    [Fact]
    public async Task SORT_and_THREAD_follow_another_sessions_append_and_expunge()
    {
        var (server, user) = await SortThreadMailbox.StartFilledAsync();
        await using var _ = server;
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        Assert.True((await c.CommandAsync("SELECT INBOX")).Ok);
        Assert.Equal("* SORT " + SortThreadMailbox.ByDate, Assert.Single((await c.CommandAsync("SORT (DATE) UTF-8 ALL")).Untagged));
        Assert.Equal("* THREAD " + SortThreadMailbox.References, Assert.Single((await c.CommandAsync("THREAD REFERENCES UTF-8 ALL")).Untagged));

        await using (var other = await ImapDialog.ConnectAsync(server.ImapPort))
        {
            await other.LoginAsync(user);
            Assert.True((await other.CommandAsync("SELECT INBOX")).Ok);
            // The earliest message of all, replying to message 5 (<b2@x>); message 6 (the first by date) goes.
            const string reply = "From: hal@example.org\r\nSubject: Re: Something else\r\nDate: Wed, 31 Dec 2025 10:00:00 +0000\r\n" +
                "Message-ID: <b3@x>\r\nIn-Reply-To: <b2@x>\r\n\r\nninth\r\n";
            Assert.True((await other.CommandAsync($"APPEND INBOX {{{reply.Length}+}}\r\n{reply}")).Ok);
            Assert.True((await other.CommandAsync("UID STORE 6 +FLAGS (\\Deleted)")).Ok);
            Assert.True((await other.CommandAsync("UID EXPUNGE 6")).Ok);
        }

        // Not yet told of the changes: the expunged message keeps its number and is left out; the new one is not there.
        Assert.Equal("* SORT 7 8 5 3 1 2 4", (await c.CommandAsync("SORT (DATE) UTF-8 ALL")).Untagged.First(l => l.StartsWith("* SORT", StringComparison.Ordinal)));
        Assert.True((await c.CommandAsync("NOOP")).Ok);
        // Now: UIDs 1-5, 7, 8 are sequence numbers 1-5, 6, 7; UID 9 is 8, a child of 5 and the first by date.
        Assert.Equal("* SORT 8 6 7 5 3 1 2 4", Assert.Single((await c.CommandAsync("SORT (DATE) UTF-8 ALL")).Untagged));
        Assert.Equal("* SORT 9 7 8 5 3 1 2 4", Assert.Single((await c.CommandAsync("UID SORT (DATE) UTF-8 ALL")).Untagged));
        Assert.Equal("* THREAD (7 6)((5 8)(4))(1 (3)(2))", Assert.Single((await c.CommandAsync("THREAD REFERENCES UTF-8 ALL")).Untagged));
    }
}
