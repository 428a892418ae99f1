using System.Globalization;
using System.Net;
using System.Text;

namespace Tern.Smtp.Protocol;

/// <summary>The trace fields of one received message (RFC 5321 4.4, RFC 3848 protocol names, RFC 6531 UTF8 names).</summary>
/// <param name="Helo">The client's EHLO/HELO argument (untrusted; sanitised when formatted).</param>
/// <param name="ClientAddress">The client's IP address; the server does no reverse DNS lookup.</param>
/// <param name="Tls">"TLSv1.3 TLS_AES_256_GCM_SHA384" or null.</param>
/// <param name="Recipient">Named in the "for" clause only when the message has exactly one recipient.</param>
public sealed record ReceivedTrace(
    string? Helo, IPAddress? ClientAddress, string HostName, bool Esmtp, bool SmtpUtf8, string? Tls,
    string? AuthenticatedUser, string QueueId, string? Recipient, DateTimeOffset Date)
{
    /// <summary>RFC 3848 / RFC 6531 4.3: SMTP, ESMTP, ESMTPA, ESMTPS, ESMTPSA, UTF8SMTP, UTF8SMTPA, UTF8SMTPS, UTF8SMTPSA.</summary>
    public string Protocol =>
        (SmtpUtf8 ? "UTF8SMTP" : Esmtp ? "ESMTP" : "SMTP")
        + (Tls is not null ? "S" : "") + (AuthenticatedUser is not null ? "A" : "");
}

public static class ReceivedHeader
{
    /// <summary>Formats the complete header field, folded, ending in CRLF.</summary>
    /// <remarks>Stamp = From-domain By-domain Opt-info [CFWS] ";" FWS date-time (RFC 5321 4.4).</remarks>
    public static string Format(ReceivedTrace trace)
    {
        var ip = trace.ClientAddress is null ? "unknown" : AddressLiteral(trace.ClientAddress);
        var helo = Sanitize(trace.Helo);
        var sb = new StringBuilder("Received: from ");
        sb.Append(helo.Length == 0 ? ip : helo).Append(" (").Append(ip).Append(')');
        sb.Append("\r\n\tby ").Append(Sanitize(trace.HostName)).Append(" (Tern) with ").Append(trace.Protocol);
        if (trace.Tls is not null)
            sb.Append("\r\n\t(").Append(Sanitize(trace.Tls, allowSpace: true)).Append(')');
        if (trace.AuthenticatedUser is not null)
            sb.Append("\r\n\t(authenticated as ").Append(Sanitize(trace.AuthenticatedUser)).Append(')');
        sb.Append("\r\n\tid ").Append(trace.QueueId);
        if (trace.Recipient is not null)
            sb.Append("\r\n\tfor <").Append(trace.Recipient).Append('>');
        sb.Append(";\r\n\t").Append(trace.Date.ToString("ddd, dd MMM yyyy HH:mm:ss ", CultureInfo.InvariantCulture))
            .Append(trace.Date.ToString("zzz", CultureInfo.InvariantCulture).Replace(":", "", StringComparison.Ordinal))
            .Append("\r\n");
        return sb.ToString();
    }

    /// <summary>"[192.0.2.1]" or "[IPv6:2001:db8::1]" (RFC 5321 4.1.3).</summary>
    public static string AddressLiteral(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
            address = address.MapToIPv4();
        return address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[IPv6:{address}]" : $"[{address}]";
    }

    /// <summary>Keeps the header one well-formed line per fold: client text cannot add fields, break comments or
    /// smuggle non-ASCII (printable ASCII other than parentheses and backslash; the rest becomes '?').</summary>
    static string Sanitize(string? text, bool allowSpace = false)
    {
        if (string.IsNullOrEmpty(text))
            return "";
        var sb = new StringBuilder(Math.Min(text.Length, 255));
        foreach (char c in text.AsSpan(0, Math.Min(text.Length, 255)))
            sb.Append((c is >= '!' and <= '~' and not '(' and not ')' and not '\\') || (allowSpace && c == ' ') ? c : '?');
        return sb.ToString();
    }
}
