using System.Text;

namespace Tern.Bench;

/// <summary>The messages every server gets: deterministic (same seed, same bytes), CRLF line ends, realistic
/// headers, text bodies with searchable words; every fifth message is multipart with a base64 attachment.</summary>
public static class BenchCorpus
{
    static readonly string[] Words =
    [
        "tern", "harbour", "quarterly", "invoice", "meeting", "schedule", "report", "draft", "review", "budget",
        "coastal", "migration", "feather", "northern", "summary", "project", "release", "kernel", "mailbox", "archive",
    ];

    /// <summary>The size of message <paramref name="index"/> of a spec: log-uniform between min and max.</summary>
    public static int SizeOf(MailboxSpec spec, int index)
    {
        if (spec.MaxSize <= spec.MinSize)
            return spec.MinSize;
        var random = new Random(unchecked(index * 7919 + spec.Name.Length * 104729));
        double lo = Math.Log(spec.MinSize), hi = Math.Log(spec.MaxSize);
        return (int)Math.Exp(lo + random.NextDouble() * (hi - lo));
    }

    public static byte[] Message(MailboxSpec spec, int index) => Message(index, SizeOf(spec, index), spec.Address);

    /// <summary>A message of about <paramref name="size"/> octets (headers included) to <paramref name="to"/>.</summary>
    public static byte[] Message(int index, int size, string to)
    {
        var random = new Random(index * 31 + size);
        var date = new DateTimeOffset(2026, 1, 1, 8, 0, 0, TimeSpan.Zero).AddMinutes(index);
        var sb = new StringBuilder(size + 512);
        sb.Append($"Return-Path: <sender{index % 50}@example.org>\r\n");
        sb.Append($"From: Sender {index % 50} <sender{index % 50}@example.org>\r\n");
        sb.Append($"To: <{to}>\r\n");
        sb.Append($"Subject: bench {index} {Words[index % Words.Length]} {Words[(index / 7) % Words.Length]}\r\n");
        sb.Append($"Date: {date:ddd, dd MMM yyyy HH:mm:ss} +0000\r\n");
        sb.Append($"Message-ID: <bench.{index}.{size}@example.org>\r\n");
        sb.Append("MIME-Version: 1.0\r\n");
        bool multipart = index % 5 == 4 && size > 4096;
        if (multipart)
        {
            const string boundary = "=_bench_boundary_0042";
            sb.Append($"Content-Type: multipart/mixed; boundary=\"{boundary}\"\r\n\r\n");
            sb.Append("This is a multi-part message in MIME format.\r\n");
            sb.Append($"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
            AppendText(sb, random, Math.Max(256, size / 3 - 600));
            sb.Append($"--{boundary}\r\nContent-Type: application/octet-stream; name=\"data{index}.bin\"\r\n");
            sb.Append($"Content-Disposition: attachment; filename=\"data{index}.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
            var binary = new byte[Math.Max(64, (size - sb.Length - 64) * 3 / 4)];
            random.NextBytes(binary);
            var base64 = Convert.ToBase64String(binary);
            for (int i = 0; i < base64.Length; i += 76)
                sb.Append(base64.AsSpan(i, Math.Min(76, base64.Length - i))).Append("\r\n");
            sb.Append($"--{boundary}--\r\n");
        }
        else
        {
            sb.Append("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 7bit\r\n\r\n");
            AppendText(sb, random, size - sb.Length);
        }
        return Encoding.ASCII.GetBytes(sb.ToString());
    }

    static void AppendText(StringBuilder sb, Random random, int length)
    {
        int target = sb.Length + Math.Max(length, 2);
        int line = 0;
        while (sb.Length < target)
        {
            var word = Words[random.Next(Words.Length)];
            // A leading dot on some lines exercises dot-stuffing in POP3 and SMTP.
            if (line == 0 && random.Next(40) == 0)
                sb.Append('.');
            sb.Append(word);
            line += word.Length;
            if (line > 68)
            {
                sb.Append("\r\n");
                line = 0;
            }
            else
            {
                sb.Append(' ');
                line++;
            }
        }
        if (line != 0)
            sb.Append("\r\n");
    }
}
