using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Imap;

/// <summary>Shared pieces of the end-to-end tests: a server with a user, MailKit clients, test messages.</summary>
static class ImapTestMail
{
    public const string Password = "secret-password";

    public static async Task<(TernTestServer Server, string User)> StartWithUserAsync(IDictionary<string, string?>? settings = null)
    {
        var server = await TernTestServer.StartAsync(settings);
        var user = $"u{Guid.NewGuid():N}"[..10] + "@imap.test.example";
        await server.AddUserAsync(user, Password);
        return (server, user);
    }

    public static async Task<ImapClient> ConnectAsync(TernTestServer server, string user)
    {
        var client = new ImapClient { Timeout = 15000 };
        await client.ConnectAsync("127.0.0.1", server.ImapPort, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        return client;
    }

    public static MimeMessage Simple(string subject, string body = "Hello there.\r\nSecond line.", string from = "alice@example.org")
    {
        var m = new MimeMessage();
        m.From.Add(new MailboxAddress("Alice Example", from));
        m.To.Add(new MailboxAddress("Bob", "bob@imap.test.example"));
        m.Subject = subject;
        m.Date = new DateTimeOffset(2024, 3, 4, 10, 11, 12, TimeSpan.FromHours(2));
        m.MessageId = MimeKit.Utils.MimeUtils.GenerateMessageId("example.org");
        m.Body = new TextPart("plain") { Text = body };
        return m;
    }

    /// <summary>multipart/mixed { multipart/alternative { text/plain, text/html }, image/png (base64),
    /// message/rfc822 { multipart/mixed { text/plain (quoted-printable), application/octet-stream } } }.</summary>
    public static MimeMessage Nested()
    {
        var inner = Simple("Inner message", "unused");
        var innerMixed = new Multipart("mixed")
        {
            new TextPart("plain") { Text = "Inner text with ünïcödé.", ContentTransferEncoding = ContentEncoding.QuotedPrintable },
            new MimePart("application", "octet-stream")
            {
                Content = new MimeContent(new MemoryStream(Enumerable.Range(0, 300).Select(i => (byte)i).ToArray())),
                ContentTransferEncoding = ContentEncoding.Base64,
                FileName = "data.bin",
            },
        };
        inner.Body = innerMixed;
        var outer = Simple("Nested structure");
        var alternative = new MultipartAlternative
        {
            new TextPart("plain") { Text = "Plain body\r\nwith two lines" },
            new TextPart("html") { Text = "<p>HTML body</p>" },
        };
        var image = new MimePart("image", "png")
        {
            Content = new MimeContent(new MemoryStream([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3])),
            ContentTransferEncoding = ContentEncoding.Base64,
            ContentDisposition = new ContentDisposition(ContentDisposition.Attachment) { FileName = "pic.png" },
            ContentId = "pic@example.org",
        };
        outer.Body = new Multipart("mixed") { alternative, image, new MessagePart { Message = inner } };
        return outer;
    }

    public static byte[] Bytes(MimeMessage message)
    {
        using var ms = new MemoryStream();
        var format = FormatOptions.Default.Clone();
        format.NewLineFormat = NewLineFormat.Dos; // as MailKit sends it with APPEND
        message.WriteTo(format, ms);
        return ms.ToArray();
    }

    /// <summary>Runs a Python imaplib script against the server's IMAP port (arguments: host, port, user, password,
    /// then <paramref name="extraArguments"/>); it must exit 0 and print PYTHON-OK.</summary>
    public static async Task RunPythonScriptAsync(TernTestServer server, string user, string script, params string[] extraArguments)
    {
        var output = await PythonScript.RunCheckedAsync(script,
            [.. new object[] { "127.0.0.1", server.ImapPort, user, Password }.Concat(extraArguments)]);
        Assert.Contains("PYTHON-OK", output);
    }
}
