#nullable disable
using System.Text;
using MailKit.Net.Smtp;
using MailKit.Security;

namespace Tern.Tests.Imap;

/// <summary>Other clients: Python's imaplib as a subprocess, AUTHENTICATE dialogs, and IDLE woken by SMTP delivery.</summary>
public sealed class ImapPythonAndSmtpTests
{
    const string Script = """
import imaplib, sys, email
host, port, user, password = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
m = imaplib.IMAP4(host, port)
assert 'IMAP4REV1' in m.capabilities, m.capabilities
typ, _ = m.login(user, password); assert typ == 'OK', typ
msg = b'From: py@example.org\r\nTo: ' + user.encode() + b'\r\nSubject: From Python\r\n\r\nHello from imaplib\r\n'
typ, data = m.append('INBOX', '(\\Flagged)', imaplib.Time2Internaldate(1700000000), msg); assert typ == 'OK', (typ, data)
assert b'APPENDUID' in data[0], data
typ, data = m.create('Py/Sub'); assert typ == 'OK', data
typ, data = m.list('""', 'Py*'); assert typ == 'OK' and any(b'Py/Sub' in d for d in data), data
typ, data = m.select('INBOX'); assert typ == 'OK' and data[0] == b'1', data
typ, data = m.search(None, 'SUBJECT', '"From Python"'); assert data[0] == b'1', data
typ, data = m.fetch('1', '(RFC822 FLAGS)'); assert typ == 'OK', data
parsed = email.message_from_bytes(data[0][1]); assert parsed['Subject'] == 'From Python', parsed['Subject']
assert b'\\Seen' in data[1] or b'\\Seen' in data[0][0], data
typ, data = m.uid('FETCH', '1', '(BODY.PEEK[HEADER.FIELDS (SUBJECT)])'); assert b'Subject: From Python' in data[0][1], data
typ, data = m.store('1', '+FLAGS', '\\Deleted'); assert typ == 'OK', data
typ, data = m.copy('1', 'Py/Sub'); assert typ == 'OK', data
typ, data = m.expunge(); assert data[0] == b'1', data
typ, data = m.status('Py/Sub', '(MESSAGES UIDNEXT)'); assert b'MESSAGES 1' in data[0], data
typ, data = m.getquotaroot('INBOX'); assert typ == 'OK', data
m.close(); m.logout()
print('PYTHON-OK')
""";

    [Fact]
    public async Task Python_imaplib_session_appends_searches_fetches_stores_copies_and_expunges()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await ImapTestMail.RunPythonScriptAsync(server, user, Script);
    }

    [Fact]
    public async Task AUTHENTICATE_PLAIN_with_and_without_initial_response()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        static string Plain(string authz, string authn, string pw) => Convert.ToBase64String(Encoding.UTF8.GetBytes($"{authz}\0{authn}\0{pw}"));

        await using (var c = await ImapDialog.ConnectAsync(server.ImapPort))
        {
            var r = await c.CommandAsync("AUTHENTICATE PLAIN " + Plain("", user, ImapTestMail.Password));
            Assert.StartsWith("OK [CAPABILITY IMAP4rev1", r.Tagged);
            Assert.StartsWith("BAD", (await c.CommandAsync("LOGIN a b")).Tagged); // wrong state now
        }
        await using (var c = await ImapDialog.ConnectAsync(server.ImapPort))
        {
            await c.Client.SendLineAsync("a1 AUTHENTICATE PLAIN");
            Assert.Equal("+ ", await c.Client.ReadLineAsync());
            await c.Client.SendLineAsync(Plain(user, user, ImapTestMail.Password));
            Assert.StartsWith("OK", (await c.ReadUntilTaggedAsync("a1")).Tagged);
        }
        await using (var c = await ImapDialog.ConnectAsync(server.ImapPort))
        {
            Assert.StartsWith("NO [AUTHORIZATIONFAILED]", (await c.CommandAsync("AUTHENTICATE PLAIN " + Plain("other@imap.test.example", user, ImapTestMail.Password))).Tagged);
            Assert.StartsWith("NO [AUTHENTICATIONFAILED]", (await c.CommandAsync("AUTHENTICATE PLAIN " + Plain("", user, "wrong"))).Tagged);
            Assert.StartsWith("NO [AUTHENTICATIONFAILED]", (await c.CommandAsync($"LOGIN {user} wrong")).Tagged);
            Assert.StartsWith("BAD", (await c.CommandAsync("AUTHENTICATE PLAIN !!!")).Tagged);
            Assert.StartsWith("NO", (await c.CommandAsync("AUTHENTICATE CRAM-MD5")).Tagged);
            await c.Client.SendLineAsync("a9 AUTHENTICATE PLAIN");
            Assert.Equal("+ ", await c.Client.ReadLineAsync());
            await c.Client.SendLineAsync("*");
            Assert.StartsWith("BAD", (await c.ReadUntilTaggedAsync("a9")).Tagged);
            Assert.StartsWith("OK", (await c.CommandAsync($"LOGIN {user} {ImapTestMail.Password}")).Tagged);
        }
        // The session log never shows the secrets.
        Assert.DoesNotContain(server.Log.Lines, l => l.Contains(ImapTestMail.Password, StringComparison.Ordinal)
            || l.Contains(Plain("", user, ImapTestMail.Password), StringComparison.Ordinal));
    }

    [Fact]
    public async Task IDLE_is_woken_by_a_delivery_through_SMTP()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var _ = server;
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        await c.CommandAsync("SELECT INBOX");
        await c.Client.SendLineAsync("i1 IDLE");
        Assert.Equal("+ idling", await c.Client.ReadLineAsync());

        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync("127.0.0.1", server.SmtpPort, SecureSocketOptions.None);
            var message = ImapTestMail.Simple("Via SMTP");
            message.To.Clear();
            message.To.Add(new MimeKit.MailboxAddress("", user));
            await smtp.SendAsync(message);
            await smtp.DisconnectAsync(true);
        }
        Assert.Equal("* 1 EXISTS", await c.Client.ReadLineAsync());
        await c.Client.SendLineAsync("DONE");
        Assert.StartsWith("* 1 RECENT", await c.Client.ReadLineAsync());
        Assert.Equal("i1 OK IDLE terminated", await c.Client.ReadLineAsync());
        var f = await c.CommandAsync("FETCH 1 (ENVELOPE)");
        Assert.Contains("\"Via SMTP\"", f.Untagged[0]);
    }
}
