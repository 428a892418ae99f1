using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Security;
using Tern.MailAuth;
using Tern.Store;
using Tern.Tests.Fixtures;
using Tern.Tests.Smtp;

namespace Tern.Tests.MailAuth;

/// <summary>A receiving Tern (mx.dest.test, user bob@dest.test) that checks mail on port 25 against a loopback DNS
/// server, and helpers to send to it and read what was delivered.</summary>
static class MailAuthFixture
{
    public const string Password = "secret-password";
    public const string ReceiverHost = "mx.dest.test";

    public static async Task<TernTestServer> StartReceiverAsync(TestDnsServer dns, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["HostName"] = ReceiverHost,
            ["Dns:Servers:0"] = dns.EndPoint,
            ["Dns:TimeoutSeconds"] = "1",
            ["MailAuth:Verify"] = "true",
        };
        foreach (var (key, value) in extra ?? [])
            settings[key] = value;
        var server = await TernTestServer.StartAsync(settings);
        await server.AddUserAsync("bob@dest.test", Password);
        return server;
    }

    /// <summary>Sends <paramref name="message"/> (CRLF text) to port 25 from 127.0.0.1; returns the reply to the final dot.</summary>
    public static async Task<string> SendToMxAsync(TernTestServer server, string mailFrom, string message, string to = "bob@dest.test", string helo = "client.example")
    {
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort, helo);
        await client.SendLineAsync($"MAIL FROM:<{mailFrom}>");
        await client.ExpectAsync("250");
        await client.SendLineAsync($"RCPT TO:<{to}>");
        await client.ExpectAsync("250");
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        await client.SendRawAsync(message + ".\r\n");
        return (await client.ReplyAsync())[^1];
    }

    /// <summary>The messages in one mailbox of <paramref name="address"/>, waiting until there are <paramref name="expected"/>.</summary>
    public static async Task<List<string>> MailboxAsync(TernTestServer server, string address, string mailbox, int expected, double seconds = 10)
    {
        var user = await server.Accounts.FindUserAsync(address);
        var store = server.Services.GetRequiredService<IMailStore>();
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            await using var account = await store.OpenAccountAsync(user!.Id);
            var box = await account.GetMailboxAsync(mailbox);
            var messages = box is null ? [] : await account.GetMessagesAsync(box.Id);
            if (messages.Count >= expected || DateTime.UtcNow > deadline)
            {
                var result = new List<string>();
                foreach (var m in messages)
                {
                    await using var stream = await account.OpenMessageAsync(box!.Id, m.Uid);
                    using var reader = new StreamReader(stream, Encoding.UTF8);
                    result.Add(await reader.ReadToEndAsync());
                }
                return result;
            }
            await Task.Delay(25);
        }
    }

    /// <summary>Our Authentication-Results (authserv-id mx.dest.test), parsed by MimeKit.</summary>
    public static AuthenticationResults Results(string message, string authservId = ReceiverHost)
    {
        var parsed = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(message)));
        var ours = parsed.Headers.Where(h => h.Id == HeaderId.AuthenticationResults)
            .Select(h => AuthenticationResults.TryParse(h.RawValue, out var r) ? r : null)
            .Where(r => r?.AuthenticationServiceIdentifier == authservId)
            .ToList();
        return Assert.Single(ours)!;
    }

    public static string Result(AuthenticationResults results, string method) =>
        results.Results.First(r => r.Method == method).Result;

    public static string Message(string from, string subject, string body = "Hello from the mail authentication tests.\r\n", string to = "bob@dest.test") =>
        $"From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\nDate: Fri, 27 Nov 2026 10:00:00 +0000\r\nMessage-ID: <{Guid.NewGuid():N}@test>\r\n\r\n{body}";

    /// <summary>A fresh RSA-2048 key (System.Security.Cryptography) as BouncyCastle parameters and its DKIM TXT record.</summary>
    public static (AsymmetricKeyParameter Key, string Record) RsaKey()
    {
        using var rsa = RSA.Create(2048);
        var key = PrivateKeyFactory.CreateKey(rsa.ExportPkcs8PrivateKey());
        return (key, "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo()));
    }

    /// <summary>Signs with MimeKit's own DkimSigner (relaxed/relaxed) and returns the message as CRLF text.</summary>
    public static string SignWithMimeKit(string text, AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm)
    {
        var message = MimeMessage.Load(new MemoryStream(Encoding.UTF8.GetBytes(text)));
        var signer = new DkimSigner(key, domain, selector, algorithm)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        signer.Sign(message, [HeaderId.From, HeaderId.To, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId]);
        using var output = new MemoryStream();
        message.WriteTo(new FormatOptions { NewLineFormat = NewLineFormat.Dos }, output);
        return Encoding.UTF8.GetString(output.ToArray());
    }

    public static DkimKeyStore KeyStore(TernTestServer server) => new(server.Options.FullDataDirectory);
}
