using System.Buffers;
using System.Buffers.Text;
using System.Globalization;

namespace Tern.Pop3.Protocol;

/// <summary>RFC 2449 8 and RFC 3206 extended response codes, written in brackets after <c>-ERR</c>.</summary>
public enum Pop3ResponseCode
{
    None,
    /// <summary>RFC 2449 8.1.2: the maildrop is locked by another session.</summary>
    InUse,
    /// <summary>RFC 2449 8.1.1: the user logged in too recently.</summary>
    LoginDelay,
    /// <summary>RFC 3206 4: a temporary problem; trying again later may work.</summary>
    SysTemp,
    /// <summary>RFC 3206 4: a permanent problem that the user cannot fix by retrying.</summary>
    SysPerm,
    /// <summary>RFC 3206 5: the credentials (or the way they were sent) were refused.</summary>
    Auth,
}

/// <summary>Formats status lines and the lines of multi-line responses; no I/O of its own.</summary>
public static class Pop3Reply
{
    public static string Ok(string text) => text.Length == 0 ? "+OK" : "+OK " + text;

    public static string Err(string text, Pop3ResponseCode code = Pop3ResponseCode.None) =>
        code == Pop3ResponseCode.None ? "-ERR " + text : $"-ERR [{CodeText(code)}] {text}";

    public static string CodeText(Pop3ResponseCode code) => code switch
    {
        Pop3ResponseCode.InUse => "IN-USE",
        Pop3ResponseCode.LoginDelay => "LOGIN-DELAY",
        Pop3ResponseCode.SysTemp => "SYS/TEMP",
        Pop3ResponseCode.SysPerm => "SYS/PERM",
        Pop3ResponseCode.Auth => "AUTH",
        _ => "",
    };

    /// <summary>RFC 1939 5: "nn mm", the number of messages and the octets of the maildrop.</summary>
    public static string DropListing(int messages, long octets) =>
        string.Create(CultureInfo.InvariantCulture, $"{messages} {octets}");

    /// <summary>RFC 1939 5 (LIST): a scan listing "msg octets" with CRLF, written straight into the output.</summary>
    public static void WriteScanListing(IBufferWriter<byte> output, int number, long octets)
    {
        var span = output.GetSpan(48);
        Utf8Formatter.TryFormat(number, span, out int written);
        span[written++] = (byte)' ';
        Utf8Formatter.TryFormat(octets, span[written..], out int n);
        written += n;
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        output.Advance(written);
    }

    /// <summary>RFC 1939 7 (UIDL): a unique-id listing "msg unique-id" with CRLF.</summary>
    public static void WriteUniqueIdListing(IBufferWriter<byte> output, int number, uint uidValidity, long uid)
    {
        var span = output.GetSpan(64);
        Utf8Formatter.TryFormat(number, span, out int written);
        span[written++] = (byte)' ';
        written += Pop3UniqueId.Write(span[written..], uidValidity, uid);
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        output.Advance(written);
    }

    /// <summary>A text line of a multi-line response (CAPA); the caller makes sure it does not start with '.'.</summary>
    public static void WriteLine(IBufferWriter<byte> output, string line)
    {
        var span = output.GetSpan(line.Length * 3 + 2);
        int written = System.Text.Encoding.UTF8.GetBytes(line, span);
        span[written++] = (byte)'\r';
        span[written++] = (byte)'\n';
        output.Advance(written);
    }

    /// <summary>RFC 1939 3: the termination octet line of a multi-line response.</summary>
    public static ReadOnlySpan<byte> Terminator => ".\r\n"u8;
}

/// <summary>RFC 1939 7 (UIDL): the unique-id of a message, "&lt;uidvalidity&gt;.&lt;uid&gt;" in decimal.</summary>
/// <remarks>
/// <c>unique-id = 1*70 uchar; uchar = %x21-7E</c>. The IMAP UID is unique within one UIDVALIDITY of the mailbox
/// and both are kept in the index, so the pair is stable across sessions and restarts and never reused (RFC 3501 2.3.1.1);
/// at most 10 + 1 + 19 = 30 characters. When INBOX gets a new UIDVALIDITY every unique-id changes, which makes
/// clients that "leave mail on the server" fetch everything again rather than miss a message.
/// </remarks>
public static class Pop3UniqueId
{
    public static string Format(uint uidValidity, long uid) =>
        string.Create(CultureInfo.InvariantCulture, $"{uidValidity}.{uid}");

    public static int Write(Span<byte> destination, uint uidValidity, long uid)
    {
        Utf8Formatter.TryFormat(uidValidity, destination, out int written);
        destination[written++] = (byte)'.';
        Utf8Formatter.TryFormat(uid, destination[written..], out int n);
        return written + n;
    }
}
