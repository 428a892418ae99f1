using System.Text;

namespace Tern.Pop3.Protocol;

/// <summary>One POP3 command line: the keyword in upper case and the raw argument text after the first space.</summary>
/// <remarks>
/// RFC 1939 3: <c>command = keyword *(SP argument) CRLF</c>; keywords are three or four case-insensitive characters,
/// arguments are separated by a single space. The argument text is kept whole because PASS takes the rest of the
/// line as the password (RFC 1939 7: "a POP3 server may treat spaces in the argument as part of the password").
/// </remarks>
public sealed record Pop3Command(string Keyword, string Arguments)
{
    /// <summary>The arguments split on single spaces; empty when there are none.</summary>
    public IReadOnlyList<string> SplitArguments() =>
        Arguments.Length == 0 ? [] : Arguments.Split(' ');

    /// <summary>The line as it may go into the session log: passwords and SASL data replaced by <c>***</c>.</summary>
    public string ToRedactedString() => Keyword switch
    {
        "PASS" => "PASS ***",
        "AUTH" => RedactAuth(),
        _ => Arguments.Length == 0 ? Keyword : Keyword + " " + Arguments,
    };

    string RedactAuth()
    {
        int space = Arguments.IndexOf(' ', StringComparison.Ordinal);
        return space < 0 ? (Arguments.Length == 0 ? "AUTH" : "AUTH " + Arguments) : "AUTH " + Arguments[..space] + " ***";
    }
}

public static class Pop3CommandParser
{
    /// <summary>RFC 2449 4: keywords of three or four characters; the extension mechanism allows longer ones, so up to 16.</summary>
    const int MaxKeywordLength = 16;

    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Parses a command line without its CRLF. False with a reason for an empty line, a bad keyword or bytes
    /// that are not UTF-8 (passwords may be UTF-8; RFC 1939 arguments are printable ASCII).</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out Pop3Command command, out string error)
    {
        command = new Pop3Command("", "");
        int space = line.IndexOf((byte)' ');
        var keyword = space < 0 ? line : line[..space];
        var arguments = space < 0 ? [] : line[(space + 1)..];
        if (keyword.IsEmpty)
        {
            error = "empty command";
            return false;
        }
        if (keyword.Length > MaxKeywordLength)
        {
            error = "unknown command";
            return false;
        }
        foreach (byte b in keyword)
        {
            if (!char.IsAsciiLetter((char)b))
            {
                error = "unknown command";
                return false;
            }
        }
        string text;
        try
        {
            text = StrictUtf8.GetString(arguments);
        }
        catch (DecoderFallbackException)
        {
            error = "arguments are not valid UTF-8";
            return false;
        }
        if (text.AsSpan().ContainsAny('\0', '\r', '\n'))
        {
            error = "control characters in the arguments";
            return false;
        }
        command = new Pop3Command(Encoding.ASCII.GetString(keyword).ToUpperInvariant(), text);
        error = "";
        return true;
    }

    /// <summary>RFC 1939 3: a message number is a decimal number of the maildrop listing, 1 or more.</summary>
    /// <remarks>Only ASCII digits: no sign, no spaces, no exponent. Leading zeros are accepted ("01" is message 1).</remarks>
    public static bool TryParseMessageNumber(string text, out int number)
    {
        number = 0;
        if (text.Length == 0 || text.Length > 10)
            return false;
        long value = 0;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            value = value * 10 + (c - '0');
        }
        if (value is < 1 or > int.MaxValue)
            return false;
        number = (int)value;
        return true;
    }

    /// <summary>RFC 1939 7 (TOP): the number of body lines, zero or more.</summary>
    public static bool TryParseLineCount(string text, out long lines)
    {
        lines = 0;
        if (text.Length == 0 || text.Length > 18)
            return false;
        foreach (char c in text)
        {
            if (!char.IsAsciiDigit(c))
                return false;
            lines = lines * 10 + (c - '0');
        }
        return true;
    }
}
