using System.Text;
using Tern.Store;

namespace Tern.Tests.Store;

public sealed class MessageAnalyzerTests
{
    static (MessageStructure Structure, byte[] Bytes) Analyze(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text.ReplaceLineEndings("\r\n"));
        using var stream = new MemoryStream(bytes);
        return (MessageAnalyzer.Analyze(stream), bytes);
    }

    static string Slice(byte[] bytes, long offset, long length) => Encoding.UTF8.GetString(bytes, (int)offset, (int)length);

    [Theory]
    [InlineData("x\n")]
    [InlineData("just a line of text, no header\nand another\n")]
    public void Content_without_a_header_is_an_empty_header_and_a_text_body(string text)
    {
        var (s, bytes) = Analyze(text);
        Assert.Equal(("text", "plain"), (s.Body.MediaType, s.Body.MediaSubtype));
        Assert.Equal(0, s.Body.HeaderLength);
        Assert.Equal(Encoding.UTF8.GetString(bytes), Slice(bytes, s.Body.BodyOffset, s.Body.BodyLength));
        Assert.Equal(text.Count(c => c == '\n'), s.Body.BodyLines);
        Assert.Null(s.Envelope.Subject);
    }

    [Fact]
    public void A_line_without_a_colon_after_a_trace_header_is_kept_in_the_header()
    {
        // What SMTP stores when a client sends DATA with a bare line: our Received field, then that line.
        var (s, bytes) = Analyze("Received: from client by tern; Fri, 27 Nov 2026 10:00:00 +0000\nx\n");
        Assert.Equal(bytes.Length, s.Body.HeaderLength + s.Body.BodyLength);
        Assert.Equal(("text", "plain"), (s.Body.MediaType, s.Body.MediaSubtype));
    }

    [Fact]
    public void Message_without_content_type_is_text_plain_us_ascii()
    {
        var (s, bytes) = Analyze("From: a@example.org\nSubject: plain\n\nline one\nline two\n");
        Assert.Equal("text", s.Body.MediaType);
        Assert.Equal("plain", s.Body.MediaSubtype);
        Assert.Contains(s.Body.Parameters, p => p.Key == "charset" && p.Value == "us-ascii");
        Assert.Equal(0, s.Body.HeaderOffset);
        Assert.Equal("line one\r\nline two\r\n", Slice(bytes, s.Body.BodyOffset, s.Body.BodyLength));
        Assert.Equal(2, s.Body.BodyLines);
        Assert.Equal(bytes.Length, s.Body.BodyOffset + s.Body.BodyLength);
        Assert.Equal(s.Body.BodyOffset, s.Body.HeaderLength);
        Assert.Equal("plain", s.Envelope.Subject);
    }

    [Fact]
    public void Nested_multipart_with_embedded_message_has_exact_offsets()
    {
        var text = """
            From: "Alice A." <alice@example.org>
            To: Team: bob@example.com, carol@example.com;, dave@example.net
            Cc: undisclosed-recipients:;
            Subject: =?utf-8?q?caf=C3=A9?=
             folded
            Message-ID: <id1@example.org>
            In-Reply-To: <id0@example.org>
            Date: Fri, 27 Nov 2026 08:00:00 +0100
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="outer"

            preamble
            --outer
            Content-Type: multipart/alternative; boundary=inner

            --inner
            Content-Type: text/plain; charset=utf-8
            Content-Transfer-Encoding: quoted-printable

            plain body
            --inner
            Content-Type: text/html; charset=utf-8
            Content-Language: en, fr

            <p>html</p>
            --inner--
            --outer
            Content-Type: message/rfc822
            Content-Disposition: attachment; filename=inner.eml
            Content-Description: forwarded

            From: carol@example.com
            Subject: inner subject

            inner body
            --outer
            Content-Type: application/octet-stream; name=x.bin
            Content-Transfer-Encoding: base64
            Content-ID: <part3@example.org>
            Content-MD5: Q2hlY2sgSW50ZWdyaXR5IQ==
            Content-Location: http://example.org/x.bin

            AAEC
            --outer--
            epilogue
            """;
        var (s, bytes) = Analyze(text);
        Assert.True(s.Body.IsMultipart);
        Assert.Equal("mixed", s.Body.MediaSubtype);
        Assert.Equal(3, s.Body.Parts.Count);

        var alternative = s.Body.Parts[0];
        Assert.Equal("alternative", alternative.MediaSubtype);
        var plain = alternative.Parts[0];
        Assert.Equal("plain body", Slice(bytes, plain.BodyOffset, plain.BodyLength));
        Assert.Equal("quoted-printable", plain.ContentTransferEncoding);
        Assert.StartsWith("Content-Type: text/plain", Slice(bytes, plain.HeaderOffset, plain.HeaderLength));
        Assert.EndsWith("\r\n\r\n", Slice(bytes, plain.HeaderOffset, plain.HeaderLength));
        Assert.Equal(1, plain.BodyLines);
        var html = alternative.Parts[1];
        Assert.Equal("<p>html</p>", Slice(bytes, html.BodyOffset, html.BodyLength));
        Assert.Equal(["en", "fr"], html.Languages);

        var rfc822 = s.Body.Parts[1];
        Assert.Equal("message", rfc822.MediaType);
        Assert.Equal("attachment", rfc822.Disposition);
        Assert.Contains(rfc822.DispositionParameters, p => p.Key == "filename" && p.Value == "inner.eml");
        Assert.Equal("forwarded", rfc822.ContentDescription);
        Assert.NotNull(rfc822.Message);
        Assert.NotNull(rfc822.MessageEnvelope);
        Assert.Equal("inner subject", rfc822.MessageEnvelope!.Subject);
        Assert.Equal("From: carol@example.com\r\nSubject: inner subject\r\n\r\ninner body", Slice(bytes, rfc822.BodyOffset, rfc822.BodyLength));
        Assert.Equal(4, rfc822.BodyLines);
        Assert.Equal("inner body", Slice(bytes, rfc822.Message!.BodyOffset, rfc822.Message.BodyLength));
        Assert.Equal(rfc822.BodyOffset, rfc822.Message.HeaderOffset);

        var binary = s.Body.Parts[2];
        Assert.Equal("<part3@example.org>", binary.ContentId);
        Assert.Equal("Q2hlY2sgSW50ZWdyaXR5IQ==", binary.ContentMd5);
        Assert.Equal("http://example.org/x.bin", binary.Location);
        Assert.Equal("AAEC", Slice(bytes, binary.BodyOffset, binary.BodyLength));

        var e = s.Envelope;
        Assert.Equal("=?utf-8?q?caf=C3=A9?= folded", e.Subject);
        Assert.Equal("Fri, 27 Nov 2026 08:00:00 +0100", e.Date);
        Assert.Equal("<id1@example.org>", e.MessageId);
        Assert.Equal("<id0@example.org>", e.InReplyTo);
        Assert.Equal(new EnvelopeAddress("Alice A.", null, "alice", "example.org"), Assert.Single(e.From));
        Assert.Equal(e.From, e.Sender);
        Assert.Equal(e.From, e.ReplyTo);
        // Group syntax: start marker, members, end marker (RFC 3501 7.4.2).
        Assert.Equal(5, e.To.Count);
        Assert.Equal(new EnvelopeAddress(null, null, "Team", null), e.To[0]);
        Assert.Equal("bob", e.To[1].Mailbox);
        Assert.Equal(new EnvelopeAddress(null, null, null, null), e.To[3]);
        Assert.Equal("dave", e.To[4].Mailbox);
        Assert.Equal(2, e.Cc.Count);
        Assert.Empty(e.Bcc);
        Assert.Equal(bytes.Length, s.Body.BodyOffset + s.Body.BodyLength);
    }

    [Fact]
    public void Non_ascii_display_names_stay_encoded_words()
    {
        var (s, _) = Analyze("From: =?utf-8?q?J=C3=BCrgen?= <j@example.org>\n\nx\n");
        var name = Assert.Single(s.Envelope.From).Name;
        Assert.NotNull(name);
        Assert.StartsWith("=?", name);
        Assert.Equal("Jürgen", MimeKit.Utils.Rfc2047.DecodePhrase(Encoding.ASCII.GetBytes(name!)));
    }

    [Fact]
    public void Header_only_message_has_an_empty_body()
    {
        var (s, bytes) = Analyze("Subject: nothing\n");
        Assert.Equal(0, s.Body.BodyLength);
        Assert.Equal(bytes.Length, s.Body.BodyOffset);
    }

    [Fact]
    public void Structure_survives_serialization()
    {
        var (s, _) = Analyze("From: a@b.example\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain; charset=utf-8; format=flowed\n" +
            "Content-Disposition: inline; filename=a.txt\n\nx\n--b--\n");
        var copy = StructureSerializer.Deserialize(StructureSerializer.Serialize(s));
        Assert.Equal(s.Envelope.From, copy.Envelope.From);
        Assert.Equal(s.Body.Parts[0].BodyOffset, copy.Body.Parts[0].BodyOffset);
        Assert.Equal([KeyValuePair.Create("charset", "utf-8"), KeyValuePair.Create("format", "flowed")], copy.Body.Parts[0].Parameters);
        Assert.Equal([KeyValuePair.Create("boundary", "b")], copy.Body.Parameters);
        Assert.Equal([KeyValuePair.Create("filename", "a.txt")], copy.Body.Parts[0].DispositionParameters);
        Assert.True(copy.Body.IsMultipart);
    }
}
