using System.Text;

namespace Tern.Tests.Imap;

/// <summary>SEARCH's text keys over IMAP, answered by the store's text index: decoded, folded, and current after
/// APPEND, COPY and EXPUNGE.</summary>
public sealed class TextSearchDialogTests
{
    const string Message = "From: =?utf-8?q?J=C3=B6rg_M=C3=BCller?= <joerg@example.org>\r\n" +
        "Subject: =?utf-8?b?R3LDvMOfZSBhdXMgZGVyIFN0cmHDn2U=?=\r\n" +
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
        "RGllIFN0cmHDn2UgaXN0IGxhbmcsIGRpZSBHUk9TU0UgU1RSQVNTRSBhdWNoLgpFaW4gc2VsdGVuZXMgV29ydDogenl4d3ZhcmsuCg==\r\n";

    [Fact]
    public async Task Text_keys_find_decoded_folded_text_and_follow_copy_and_expunge()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        Assert.True((await c.CommandAsync($"APPEND INBOX {{{Message.Length}+}}\r\n{Message}")).Ok);
        Assert.True((await c.CommandAsync("APPEND INBOX {24+}\r\nSubject: other\r\n\r\nbody\r\n")).Ok);
        Assert.True((await c.CommandAsync("SELECT INBOX")).Ok);

        async Task<string> Search(string criteria) => Assert.Single((await c.CommandAsync("SEARCH " + criteria)).Untagged, l => l.StartsWith("* SEARCH", StringComparison.Ordinal));
        int bytes = Encoding.UTF8.GetByteCount("STRAßE");
        Assert.Equal("* SEARCH 1", await Search($"CHARSET UTF-8 SUBJECT {{{bytes}+}}\r\nSTRAßE"));
        Assert.Equal("* SEARCH 1", await Search($"CHARSET UTF-8 FROM {{{Encoding.UTF8.GetByteCount("müller")}+}}\r\nmüller"));
        Assert.Equal("* SEARCH 1", await Search("BODY ZYXWVARK"));
        Assert.Equal("* SEARCH 1", await Search("TEXT \"grosse strasse\""));
        Assert.Equal("* SEARCH 2", await Search("NOT BODY zyxwvark"));
        Assert.Equal("* SEARCH 1 2", await Search("OR SUBJECT other BODY \"ist lang\""));
        Assert.Equal("* SEARCH 2", await Search("SUBJECT ot"));   // under three characters: no trigram, same answer
        Assert.Equal("* SEARCH", await Search("BODY albatross"));

        Assert.True((await c.CommandAsync("COPY 1 Archive")).Ok);
        Assert.True((await c.CommandAsync("STORE 1 +FLAGS.SILENT (\\Deleted)")).Ok);
        Assert.True((await c.CommandAsync("EXPUNGE")).Ok);
        Assert.Equal("* SEARCH", await Search("BODY zyxwvark"));
        Assert.True((await c.CommandAsync("SELECT Archive")).Ok);
        Assert.Equal("* SEARCH 1", await Search("BODY zyxwvark"));
    }
}
