using System.Text;
using MimeKit;
using Tern.Delivery.Dsn;

namespace Tern.Tests.Relay;

public sealed class DsnBuilderTests
{
    const string Original = "Received: from client.test by source.test\r\nFrom: <alice@source.test>\r\nSubject: Grüße\r\n"
        + "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nÄrger mit der Zustellung.\r\n";

    static DsnRequest Request(bool full) => new(
        "mx.source.test", "alice@source.test", "env-7", new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero), "QID",
        [
            new DsnRecipientReport("bob@dest.test", "rfc822;Bob@Dest.test", DsnAction.Failed, "5.1.1", "550 5.1.1 unknown", "mx.dest.test", "550 5.1.1 unknown"),
            new DsnRecipientReport("carol@slow.test", null, DsnAction.Delayed, "4.4.1", null, null, "connection refused",
                WillRetryUntil: new DateTimeOffset(2026, 12, 2, 8, 0, 0, TimeSpan.Zero)),
        ],
        full);

    static MimeMessage RoundTrip(MimeMessage message)
    {
        var bytes = new MemoryStream();
        message.WriteTo(FormatOptions.Default, bytes);
        bytes.Position = 0;
        return MimeMessage.Load(bytes);
    }

    [Fact]
    public void RET_FULL_returns_the_whole_original_message_and_every_recipient_block()
    {
        using var original = new MemoryStream(Encoding.UTF8.GetBytes(Original));
        var dsn = RoundTrip(DsnBuilder.Build(Request(full: true), original));

        Assert.Equal("auto-replied", dsn.Headers["Auto-Submitted"]);
        Assert.Equal("MAILER-DAEMON@mx.source.test", dsn.From.Mailboxes.Single().Address);
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal(3, report.Count);
        var groups = Assert.IsType<MessageDeliveryStatus>(report[1]).StatusGroups.Where(g => g.Count > 0).ToList();
        Assert.Equal(3, groups.Count);
        Assert.Equal("env-7", groups[0]["Original-Envelope-Id"]);
        Assert.Equal("rfc822; Bob@Dest.test", groups[1]["Original-Recipient"]);
        Assert.Equal("failed", groups[1]["Action"]);
        Assert.Equal("smtp; 550 5.1.1 unknown", groups[1]["Diagnostic-Code"]);
        Assert.Equal("delayed", groups[2]["Action"]);
        Assert.Null(groups[2]["Diagnostic-Code"]);
        Assert.Contains("2 Dec 2026", groups[2]["Will-Retry-Until"], StringComparison.Ordinal);
        var returned = Assert.IsType<MessagePart>(report[2]).Message!;
        Assert.Equal("Grüße", returned.Subject);
        Assert.Contains("Ärger", returned.TextBody, StringComparison.Ordinal);
        Assert.Contains("<bob@dest.test>: 550 5.1.1 unknown", ((TextPart)report[0]).Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_RET_FULL_only_the_original_header_is_returned()
    {
        using var original = new MemoryStream(Encoding.UTF8.GetBytes(Original));
        var dsn = RoundTrip(DsnBuilder.Build(Request(full: false), original));

        var headers = Assert.IsType<TextRfc822Headers>(((MultipartReport)dsn.Body!)[2]);
        Assert.Equal("Grüße", headers.Message!.Subject);
        Assert.DoesNotContain("Ärger", headers.Message.TextBody ?? "", StringComparison.Ordinal);
    }
}
