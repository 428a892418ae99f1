using System.Text;
using BenchmarkDotNet.Attributes;
using MimeKit;

namespace Tern.Bench.Micro;

/// <summary>The parse that IMAP BODYSTRUCTURE needs: a 50 KB multipart message (text and HTML alternatives,
/// a base64 attachment, a forwarded message/rfc822) parsed by MimeKit and walked part by part, collecting what
/// BODYSTRUCTURE reports (type, parameters, encoding, octets, lines).</summary>
[MemoryDiagnoser]
public class MimeParsingBenchmarks
{
    byte[] message = [];

    [GlobalSetup]
    public void Setup() => message = BuildMessage(50 * 1024);

    [Benchmark(Description = "MimeKit: parse a 50 KB multipart message")]
    public MimeMessage Parse()
    {
        using var stream = new MemoryStream(message, writable: false);
        return MimeMessage.Load(stream);
    }

    [Benchmark(Description = "MimeKit: parse with offsets and walk the structure (BODYSTRUCTURE data)")]
    public long ParseAndWalk()
    {
        using var stream = new MemoryStream(message, writable: false);
        var parser = new MimeParser(stream, MimeFormat.Entity, persistent: true);
        long sum = 0;
        parser.MimeEntityEnd += (_, e) => sum += e.EndOffset - e.HeadersEndOffset + e.Lines;
        var parsed = parser.ParseMessage();
        foreach (var entity in parsed.BodyParts)
        {
            sum += entity.ContentType.MediaType.Length + entity.ContentType.Parameters.Count;
            if (entity is MimePart part)
                sum += (int)part.ContentTransferEncoding;
        }
        return sum;
    }

    [Benchmark(Description = "Tern MessageAnalyzer: the parse once at delivery (sizes, offsets, ENVELOPE, BODYSTRUCTURE)")]
    public Tern.Store.MessageStructure Analyze()
    {
        using var stream = new MemoryStream(message, writable: false);
        return Tern.Store.MessageAnalyzer.Analyze(stream);
    }

    public static byte[] BuildMessage(int size)
    {
        var random = new Random(42);
        var sb = new StringBuilder();
        sb.Append("From: Alice <alice@example.org>\r\nTo: Bob <bob@example.net>, carol@example.net\r\n");
        sb.Append("Subject: =?utf-8?q?Quarterly_report_=E2=80=94_draft?=\r\nDate: Fri, 27 Nov 2026 09:00:00 +0000\r\n");
        sb.Append("Message-ID: <micro.1@example.org>\r\nMIME-Version: 1.0\r\n");
        sb.Append("Content-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n");
        sb.Append("--outer\r\nContent-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n");
        sb.Append("--alt\r\nContent-Type: text/plain; charset=utf-8; format=flowed\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n");
        for (int i = 0; i < 60; i++)
            sb.Append("The quarterly figures are in the attached file; please review before Friday =E2=80=94 thanks.\r\n");
        sb.Append("--alt\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n<html><body>\r\n");
        for (int i = 0; i < 60; i++)
            sb.Append("<p>The quarterly figures are in the attached file; please review before Friday.</p>\r\n");
        sb.Append("</body></html>\r\n--alt--\r\n");
        sb.Append("--outer\r\nContent-Type: message/rfc822\r\n\r\n");
        sb.Append("From: Dave <dave@example.com>\r\nTo: alice@example.org\r\nSubject: Earlier figures\r\nMIME-Version: 1.0\r\n");
        sb.Append("Content-Type: text/plain; charset=us-ascii\r\n\r\n");
        for (int i = 0; i < 30; i++)
            sb.Append("Forwarded text of the earlier message, kept for reference in this thread.\r\n");
        sb.Append("--outer\r\nContent-Type: application/pdf; name=\"report.pdf\"\r\n");
        sb.Append("Content-Disposition: attachment; filename=\"report.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        var binary = new byte[Math.Max(1024, (size - sb.Length - 32) * 3 / 4)];
        random.NextBytes(binary);
        var base64 = Convert.ToBase64String(binary);
        for (int i = 0; i < base64.Length; i += 76)
            sb.Append(base64.AsSpan(i, Math.Min(76, base64.Length - i))).Append("\r\n");
        sb.Append("--outer--\r\n");
        return Encoding.UTF8.GetBytes(sb.ToString());
    }
}
