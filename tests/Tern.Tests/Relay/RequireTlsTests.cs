using System.Net.Sockets;
using System.Text;
using MailKit.Net.Smtp;
using MimeKit;
using Tern.Queue;
using Tern.Tests.Delivery;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>RFC 8689 REQUIRETLS: offered and accepted only over TLS, kept in the queue, honoured by the relay (verified
/// TLS to a next hop that offers REQUIRETLS itself), bounced with 5.7.30 when it cannot be.</summary>
public sealed class RequireTlsTests
{
    [Fact]
    public async Task RequireTls_is_neither_offered_nor_accepted_over_plaintext()
    {
        await using var server = await TernTestServer.StartAsync();
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", server.SmtpPort);
        var stream = tcp.GetStream();
        var reader = new StreamReader(stream, Encoding.ASCII);
        async Task<List<string>> Reply()
        {
            var lines = new List<string>();
            string? line;
            do { line = await reader.ReadLineAsync(); lines.Add(line!); } while (line is { Length: > 3 } && line[3] == '-');
            return lines;
        }
        async Task<List<string>> Send(string command)
        {
            await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"));
            return await Reply();
        }
        await Reply();
        var ehlo = await Send("EHLO client.test");
        Assert.Contains(ehlo, l => l.Contains("STARTTLS", StringComparison.Ordinal));
        Assert.DoesNotContain(ehlo, l => l.Contains("REQUIRETLS", StringComparison.Ordinal));
        var mail = await Send("MAIL FROM:<someone@elsewhere.test> REQUIRETLS");
        Assert.StartsWith("530 5.7.10", mail[0], StringComparison.Ordinal);
    }

    [Fact]
    public async Task RequireTls_is_offered_after_STARTTLS_and_accepted()
    {
        await using var server = await TernTestServer.StartAsync();
        await server.AddUserAsync("bob@mail.test.example");
        using var client = new SmtpClient();
        client.ServerCertificateValidationCallback = (_, _, _, _) => true;
        await client.ConnectAsync("127.0.0.1", server.SmtpPort, MailKit.Security.SecureSocketOptions.StartTls);
        Assert.True(client.Capabilities.HasFlag(SmtpCapabilities.RequireTLS));
        client.RequireTLS = true;
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("someone@elsewhere.test"));
        message.To.Add(MailboxAddress.Parse("bob@mail.test.example"));
        message.Subject = "under REQUIRETLS";
        message.Body = new TextPart("plain") { Text = "secret\n" };
        await client.SendAsync(message);
        await client.DisconnectAsync(true);
        Assert.Single(await LocalDeliveryTests.InboxAsync(server, "bob@mail.test.example", 1));
    }

    [Fact]
    public async Task RequireTls_message_to_a_next_hop_without_TLS_is_bounced_with_5_7_30()
    {
        await using var dns = TestDnsServer.Start();
        await using var plain = ScriptedSmtpServer.Start("127.0.0.99");
        dns.AddMx("plain.test", 10, "mx.plain.test").AddA("mx.plain.test", "127.0.0.99");
        await using var source = await RelayHarness.StartAsync(RelayHarness.FastSettings(dns, plain.Port));

        var id = await source.EnqueueAsync("alice@source.test", ["pat@plain.test"], envelope: e => e.Sender.RequireTls = true);

        await RelayHarness.WaitUntilAsync(() => source.IsInBad(id), 10, "bounce");
        var recipient = (await source.EnvelopeAsync(id))!.Recipients[0];
        Assert.Equal(RecipientState.Failed, recipient.State);
        Assert.StartsWith("5.7.30", recipient.Reason, StringComparison.Ordinal);
        Assert.Contains("does not offer it", recipient.Reason, StringComparison.Ordinal);
        Assert.DoesNotContain(plain.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));

        var bounce = Assert.Single(await source.QueuedForAsync("alice@source.test"));
        var status = Assert.IsType<MessageDeliveryStatus>(Assert.IsType<MultipartReport>(bounce.Message.Body)[1]);
        Assert.Equal("5.7.30", status.StatusGroups[1]["Status"]);
        Assert.Contains("STARTTLS is required for plain.test by REQUIRETLS (RFC 8689) but mx.plain.test does not offer it", bounce.Message.TextBody, StringComparison.Ordinal);
        // RFC 8689 4.3: the report is sent under REQUIRETLS too.
        Assert.True(bounce.Envelope.Sender.RequireTls);
    }

    [Fact]
    public async Task RequireTls_message_goes_over_verified_TLS_and_is_passed_on()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var destination = await fixture.StartDestinationAsync(["mx.dest.test"], false, "bob@dest.test");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test");
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(destination.SmtpPort));

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"], envelope: e => e.Sender.RequireTls = true);

        await RelayHarness.WaitUntilAsync(() => !source.IsInQueue(id), 10, "delivery");
        Assert.Single(await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 1));
        Assert.Contains(source.Log.Lines, l => l.Contains("C: MAIL FROM:<alice@source.test>", StringComparison.Ordinal) && l.Contains("REQUIRETLS", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RequireTls_message_is_deferred_when_the_next_hop_certificate_is_not_trusted()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var destination = await fixture.StartDestinationAsync(["mx.dest.test"], true, "bob@dest.test");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test");
        await using var source = await RelayHarness.StartAsync(fixture.SourceSettings(destination.SmtpPort));

        var id = await source.EnqueueAsync("alice@source.test", ["bob@dest.test"], envelope: e => e.Sender.RequireTls = true);

        var recipient = await TlsPolicyFixture.WaitForStateAsync(source, id, RecipientState.Deferred);
        Assert.Contains("TLS: untrusted certificate", recipient.Reason, StringComparison.Ordinal);
    }
}

/// <summary>REQUIRETLS from the mail client to the recipient's mailbox: two real Terns, the loopback DNS server, a
/// test CA trusted by the source.</summary>
public sealed class RequireTlsEndToEndTests
{
    [Fact]
    public async Task Client_REQUIRETLS_submission_reaches_the_next_Tern_over_verified_TLS()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        await using var destination = await fixture.StartDestinationAsync(["mx.dest.test"], false, "bob@dest.test");
        fixture.Dns.AddMx("dest.test", 10, "mx.dest.test").AddA("mx.dest.test");
        var settings = RelayEndToEndTests.SourceSettings(fixture.Dns, destination.SmtpPort);
        settings["Relay:TestingTrustedCaFile"] = fixture.Pki.CaFile;
        await using var source = await TernTestServer.StartAsync(settings);
        await source.AddUserAsync("alice@source.test");

        using (var client = new SmtpClient())
        {
            client.ServerCertificateValidationCallback = (_, _, _, _) => true;
            await client.ConnectAsync("127.0.0.1", source.SubmissionPort, MailKit.Security.SecureSocketOptions.StartTls);
            await client.AuthenticateAsync("alice@source.test", "secret-password");
            client.RequireTLS = true;
            var message = new MimeMessage();
            message.From.Add(MailboxAddress.Parse("alice@source.test"));
            message.To.Add(MailboxAddress.Parse("bob@dest.test"));
            message.Subject = "TLS all the way";
            message.Body = new TextPart("plain") { Text = "only over TLS\n" };
            await client.SendAsync(message);
            await client.DisconnectAsync(true);
        }

        var received = Assert.Single(await LocalDeliveryTests.InboxAsync(destination, "bob@dest.test", 1));
        Assert.Contains("TLS all the way", received, StringComparison.Ordinal);
        Assert.True(source.Log.Contains("certificate verified"), "the next hop's certificate must have been verified");
        Assert.Contains(source.Log.Lines, l => l.Contains("C: MAIL FROM:<alice@source.test>", StringComparison.Ordinal) && l.Contains("REQUIRETLS", StringComparison.Ordinal));
    }
}
