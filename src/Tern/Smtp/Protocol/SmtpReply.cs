using System.Text;

namespace Tern.Smtp.Protocol;

/// <summary>One SMTP reply (RFC 5321 4.2) with its enhanced status code (RFC 3463, RFC 2034).</summary>
/// <param name="Code">The three-digit reply code.</param>
/// <param name="Enhanced">"2.1.0"; null for replies that carry none (220 greeting, EHLO, 354, 334).</param>
/// <param name="Lines">The text, one entry per line; a multi-line reply uses "250-" on all but the last line.</param>
public sealed record SmtpReply(int Code, string? Enhanced, IReadOnlyList<string> Lines)
{
    public SmtpReply(int code, string? enhanced, string text) : this(code, enhanced, [text]) { }

    public bool IsError => Code >= 400;

    /// <summary>The reply on the wire, every line ending in CRLF.</summary>
    public string Format()
    {
        var sb = new StringBuilder();
        for (int i = 0; i < Lines.Count; i++)
        {
            sb.Append(Code).Append(i == Lines.Count - 1 ? ' ' : '-');
            if (Enhanced is not null)
                sb.Append(Enhanced).Append(' ');
            sb.Append(Lines[i]).Append("\r\n");
        }
        return sb.ToString();
    }

    /// <summary>The reply on one line for logs and envelopes ("550 5.1.1 No such user").</summary>
    public override string ToString() => Enhanced is null ? $"{Code} {string.Join(" / ", Lines)}" : $"{Code} {Enhanced} {string.Join(" / ", Lines)}";
}
