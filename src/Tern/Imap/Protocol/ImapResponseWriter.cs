using System.Buffers;
using System.Globalization;
using System.Text;

namespace Tern.Imap.Protocol;

/// <summary>Formats response elements (RFC 9051 7, 9) into a buffer; no I/O of its own.</summary>
/// <param name="utf8Accepted">RFC 6855 UTF8=ACCEPT is enabled: UTF-8 may go in quoted strings (RFC 6855 3).</param>
public readonly struct ImapResponseWriter(IBufferWriter<byte> output, bool utf8Accepted = false)
{
    /// <summary>Longest string sent quoted; longer ones go as literals so no line grows unreasonably.</summary>
    const int MaxQuotedLength = 1024;

    public IBufferWriter<byte> Output => output;

    public ImapResponseWriter Raw(string ascii)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(ascii.Length));
        int n = Encoding.UTF8.GetBytes(ascii, span);
        output.Advance(n);
        return this;
    }

    public ImapResponseWriter Raw(ReadOnlySpan<byte> bytes)
    {
        output.Write(bytes);
        return this;
    }

    public ImapResponseWriter Raw(char c)
    {
        var span = output.GetSpan(1);
        span[0] = (byte)c;
        output.Advance(1);
        return this;
    }

    public ImapResponseWriter Space() => Raw(' ');
    public ImapResponseWriter Crlf() => Raw("\r\n"u8);

    public ImapResponseWriter Number(long value)
    {
        var span = output.GetSpan(20);
        value.TryFormat(span, out int n, default, CultureInfo.InvariantCulture);
        output.Advance(n);
        return this;
    }

    /// <summary>nstring: NIL for null, otherwise <see cref="String(string)"/>.</summary>
    public ImapResponseWriter NString(string? value) => value is null ? Raw("NIL"u8) : String(value);

    public ImapResponseWriter String(string value) => String(Encoding.UTF8.GetBytes(value));

    /// <summary>A string as quoted when the grammar allows it, otherwise as a literal (RFC 9051 4.3): CR, LF, NUL,
    /// 8-bit octets without UTF8=ACCEPT, or a long value.</summary>
    public ImapResponseWriter String(ReadOnlySpan<byte> value)
    {
        if (CanQuote(value, utf8Accepted))
        {
            int extra = 2;
            foreach (var b in value)
            {
                if (b is (byte)'"' or (byte)'\\')
                    extra++;
            }
            var span = output.GetSpan(value.Length + extra);
            int n = 0;
            span[n++] = (byte)'"';
            foreach (var b in value)
            {
                if (b is (byte)'"' or (byte)'\\')
                    span[n++] = (byte)'\\';
                span[n++] = b;
            }
            span[n++] = (byte)'"';
            output.Advance(n);
            return this;
        }
        return Literal(value);
    }

    public ImapResponseWriter Literal(ReadOnlySpan<byte> value)
    {
        LiteralHeader(value.Length);
        output.Write(value);
        return this;
    }

    /// <summary>"{n}" CRLF; the caller writes exactly n octets after it (streamed bodies).</summary>
    public ImapResponseWriter LiteralHeader(long length, bool binary = false)
    {
        if (binary) Raw('~');
        return Raw('{').Number(length).Raw("}\r\n"u8);
    }

    /// <summary>An astring: an atom when every character allows it, otherwise a string.</summary>
    public ImapResponseWriter AString(string value)
    {
        if (value.Length > 0 && value.All(c => c < 0x80 && ImapChars.IsAStringChar((byte)c)))
            return Raw(value);
        return String(value);
    }

    /// <summary>A mailbox name: modified UTF-7 (RFC 3501 5.1.3) unless UTF8=ACCEPT is on (RFC 6855 3).</summary>
    public ImapResponseWriter Mailbox(string name)
    {
        var wire = utf8Accepted ? name : ModifiedUtf7.Encode(name);
        if (wire.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            return Raw("INBOX");
        return AString(wire);
    }

    public static bool CanQuote(ReadOnlySpan<byte> value, bool utf8Accepted)
    {
        if (value.Length > MaxQuotedLength)
            return false;
        foreach (var b in value)
        {
            if (b is 0 or (byte)'\r' or (byte)'\n')
                return false;
            if (b >= 0x80 && !utf8Accepted)
                return false;
        }
        if (utf8Accepted && !IsValidUtf8(value))
            return false;
        return true;
    }

    static bool IsValidUtf8(ReadOnlySpan<byte> value) => System.Text.Unicode.Utf8.IsValid(value);

    /// <summary>date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE.</summary>
    public ImapResponseWriter DateTime(DateTimeOffset value)
    {
        var offset = value.Offset;
        var sign = offset < TimeSpan.Zero ? '-' : '+';
        var abs = offset.Duration();
        return Raw(string.Create(CultureInfo.InvariantCulture,
            $"\"{value.Day,2}-{value.ToString("MMM", CultureInfo.InvariantCulture)}-{value.Year:D4} {value:HH:mm:ss} {sign}{abs.Hours:D2}{abs.Minutes:D2}\""));
    }
}
