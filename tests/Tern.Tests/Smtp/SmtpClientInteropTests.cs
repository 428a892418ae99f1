using Tern.Tests.Fixtures;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;

namespace Tern.Tests.Smtp;

/// <summary>Clients nobody here wrote: MailKit's SmtpClient and Python's smtplib.</summary>
public sealed class SmtpClientInteropTests
{
    static MimeMessage Message(string from, string to, string subject, string body = "Hello from a real client.\r\n")
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(from));
        message.To.Add(MailboxAddress.Parse(to));
        message.Subject = subject;
        message.Body = new TextPart("plain") { Text = body };
        return message;
    }

    static SmtpClient NewClient(bool preferBdat = false) =>
        preferBdat
            ? new BdatSmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true }
            : new SmtpClient { ServerCertificateValidationCallback = (_, _, _, _) => true };

    /// <summary>MailKit uses BDAT only for binary parts unless told to prefer it.</summary>
    sealed class BdatSmtpClient : SmtpClient
    {
        protected override bool PreferSendAsBinaryData => true;
    }

    [Fact]
    public async Task MailKit_submits_over_starttls_with_auth_pipelining_and_bdat()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Auth:AllowPlaintextAuthOnLoopback"] = "false" });
        using var client = NewClient(preferBdat: true);
        await client.ConnectAsync("127.0.0.1", server.SubmissionPort, SecureSocketOptions.StartTls);
        Assert.True(client.IsSecure);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Pipelining));
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.Chunking));
        await client.AuthenticateAsync("alice@example.com", SmtpFixture.Password);
        await client.SendAsync(Message("alice@example.com", "friend@remote.example", "via MailKit"));
        await client.DisconnectAsync(true);

        var queued = Assert.Single(await server.QueuedAsync());
        Assert.Equal("ESMTPSA", queued.Envelope.Client.Protocol);
        Assert.Contains("Subject: via MailKit", queued.Content, StringComparison.Ordinal);
        Assert.True(server.Log.Contains("C: BDAT "), "MailKit used DATA, not BDAT");
    }

    [Fact]
    public async Task MailKit_submits_over_implicit_tls_on_465()
    {
        await using var server = await SmtpFixture.StartAsync();
        using var client = NewClient();
        await client.ConnectAsync("127.0.0.1", server.SubmissionsPort, SecureSocketOptions.SslOnConnect);
        await client.AuthenticateAsync("alice@example.com", SmtpFixture.Password);
        await client.SendAsync(Message("alice@example.com", "bob@example.com", "implicit"));
        await client.DisconnectAsync(true);
        Assert.StartsWith("TLSv1.", Assert.Single(await server.QueuedAsync()).Envelope.Client.Tls, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MailKit_sends_smtputf8_addresses_to_port_25()
    {
        await using var server = await SmtpFixture.StartAsync();
        using var client = NewClient();
        await client.ConnectAsync("127.0.0.1", server.SmtpPort, SecureSocketOptions.None);
        await client.SendAsync(Message("jürgen@bücher.example", "alice@example.com", "Grüße", "Schöne Grüße\r\n"));
        await client.DisconnectAsync(true);
        var queued = Assert.Single(await server.QueuedAsync());
        Assert.True(queued.Envelope.Sender.SmtpUtf8);
        Assert.Equal("jürgen@bücher.example", queued.Envelope.Sender.Address);
        Assert.Contains("with UTF8SMTP", queued.Content, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MailKit_is_refused_relaying_without_auth_and_over_size()
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Smtp:MaxMessageSize"] = "2000" });
        using var client = NewClient();
        await client.ConnectAsync("127.0.0.1", server.SmtpPort, SecureSocketOptions.None);
        var relay = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("a@remote.example", "victim@elsewhere.example", "relay")));
        Assert.Equal(554, (int)relay.StatusCode);
        var big = await Assert.ThrowsAsync<SmtpCommandException>(() => client.SendAsync(Message("a@remote.example", "alice@example.com", "big", new string('x', 5000))));
        Assert.Equal(552, (int)big.StatusCode);
        Assert.Empty(await server.QueuedAsync());
    }

    static async Task<(int ExitCode, string Output)> PythonAsync(string script, params string[] args)
    {
        var result = await PythonScript.RunAsync(script, args, TimeSpan.FromSeconds(30));
        return (result.ExitCode, result.Output + result.Errors);
    }

    const string PythonSubmit = """
        import smtplib, ssl, sys
        port, mode = int(sys.argv[1]), sys.argv[2]
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        if mode == "ssl":
            s = smtplib.SMTP_SSL("127.0.0.1", port, context=ctx)
        else:
            s = smtplib.SMTP("127.0.0.1", port)
            s.starttls(context=ctx)
        s.ehlo("python.example")
        s.login("alice@example.com", "secret-password")
        msg = "From: alice@example.com\r\nTo: bob@example.com\r\nSubject: from python " + mode + "\r\n\r\n.leading dot\r\nbody\r\n"
        refused = s.sendmail("alice@example.com", ["bob@example.com"], msg)
        try:
            s.sendmail("alice@example.com", ["nobody@example.com"], msg)
            print("unknown recipient accepted")
            sys.exit(1)
        except smtplib.SMTPRecipientsRefused as e:
            print("refused", e.recipients["nobody@example.com"][0])
        s.quit()
        print("ok", refused)
        """;

    [Theory]
    [InlineData("starttls")]
    [InlineData("ssl")]
    public async Task Python_smtplib_submits_with_tls_and_login(string mode)
    {
        await using var server = await SmtpFixture.StartAsync(new() { ["Auth:AllowPlaintextAuthOnLoopback"] = "false" });
        var port = mode == "ssl" ? server.SubmissionsPort : server.SubmissionPort;
        var (exit, output) = await PythonAsync(PythonSubmit, port.ToString(System.Globalization.CultureInfo.InvariantCulture), mode);
        Assert.True(exit == 0, output);
        Assert.Contains("refused 550", output, StringComparison.Ordinal);
        var queued = Assert.Single(await server.QueuedAsync());
        Assert.Equal("python.example", queued.Envelope.Client.Helo);
        Assert.EndsWith("Subject: from python " + mode + "\r\n\r\n.leading dot\r\nbody\r\n", queued.Content, StringComparison.Ordinal);
    }
}
