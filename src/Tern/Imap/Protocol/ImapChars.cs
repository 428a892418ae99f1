namespace Tern.Imap.Protocol;

/// <summary>Character classes of RFC 9051 9 (Formal Syntax).</summary>
public static class ImapChars
{
    /// <summary>atom-specials = "(" / ")" / "{" / SP / CTL / list-wildcards / quoted-specials / resp-specials.</summary>
    public static bool IsAtomChar(byte b) =>
        b > 0x20 && b < 0x7f && b is not ((byte)'(' or (byte)')' or (byte)'{' or (byte)'%' or (byte)'*' or (byte)'"' or (byte)'\\' or (byte)']');

    /// <summary>ASTRING-CHAR = ATOM-CHAR / resp-specials ("]").</summary>
    public static bool IsAStringChar(byte b) => IsAtomChar(b) || b == (byte)']';

    /// <summary>tag = 1*&lt;any ASTRING-CHAR except "+"&gt;.</summary>
    public static bool IsTagChar(byte b) => IsAStringChar(b) && b != (byte)'+';

    /// <summary>list-char = ATOM-CHAR / list-wildcards / resp-specials.</summary>
    public static bool IsListChar(byte b) => IsAStringChar(b) || b is (byte)'%' or (byte)'*';

    /// <summary>QUOTED-CHAR: any TEXT-CHAR except quoted-specials, or an escaped one; TEXT-CHAR excludes CR and LF.</summary>
    public static bool IsTextChar(byte b) => b != 0 && b != (byte)'\r' && b != (byte)'\n';
}
