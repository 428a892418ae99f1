using System.Globalization;
using System.Text;

namespace Tern.Imap.Protocol;

/// <summary>Reads the grammar elements of RFC 9051 9 from one framed command. Every method throws
/// <see cref="ImapParseException"/> with the reason when the text does not match.</summary>
public sealed class ImapArgumentReader(RawCommand command, int maxNestingDepth = 16)
{
    readonly byte[] text = command.Text;
    int depth;

    public int Position { get; private set; }
    public RawCommand Command => command;
    public bool AtEnd => Position >= text.Length;

    /// <summary>Octets still unread, as a string (logging, LOGIN redaction).</summary>
    public int Remaining => text.Length - Position;

    public byte Peek() => AtEnd ? (byte)0 : text[Position];
    public bool PeekIs(char c) => !AtEnd && text[Position] == (byte)c;

    public void Expect(char c)
    {
        if (!TryExpect(c))
            throw new ImapParseException(AtEnd ? $"Expected '{c}' but the command ended" : $"Expected '{c}' at offset {Position}");
    }

    public bool TryExpect(char c)
    {
        if (PeekIs(c))
        {
            Position++;
            return true;
        }
        return false;
    }

    /// <summary>Exactly one SP between elements (RFC 9051 9: SP is a single space).</summary>
    public void Space() => Expect(' ');

    public void ExpectEnd()
    {
        if (!AtEnd)
            throw new ImapParseException($"Unexpected text at offset {Position}");
    }

    /// <summary>"(" with the nesting cap (options.Imap.MaxNestingDepth).</summary>
    public void OpenList()
    {
        Expect('(');
        if (++depth > maxNestingDepth)
            throw new ImapParseException("Parentheses nested too deeply");
    }

    public bool TryOpenList()
    {
        if (!PeekIs('('))
            return false;
        OpenList();
        return true;
    }

    public void CloseList()
    {
        Expect(')');
        depth--;
    }

    public bool TryCloseList()
    {
        if (!PeekIs(')'))
            return false;
        CloseList();
        return true;
    }

    public string Tag()
    {
        int start = Position;
        while (!AtEnd && ImapChars.IsTagChar(text[Position]))
            Position++;
        if (Position == start)
            throw new ImapParseException("Missing or invalid tag");
        return Encoding.ASCII.GetString(text, start, Position - start);
    }

    /// <summary>atom = 1*ATOM-CHAR.</summary>
    public string Atom()
    {
        int start = Position;
        while (!AtEnd && ImapChars.IsAtomChar(text[Position]))
            Position++;
        if (Position == start)
            throw new ImapParseException(AtEnd ? "Missing argument" : $"Expected an atom at offset {Position}");
        return Encoding.ASCII.GetString(text, start, Position - start);
    }

    /// <summary>An atom made of the characters <paramref name="allowed"/> accepts (e.g. fetch attribute names with ".").</summary>
    public string AtomWhile(Func<byte, bool> allowed)
    {
        int start = Position;
        while (!AtEnd && allowed(text[Position]))
            Position++;
        if (Position == start)
            throw new ImapParseException($"Expected an atom at offset {Position}");
        return Encoding.ASCII.GetString(text, start, Position - start);
    }

    /// <summary>astring = 1*ASTRING-CHAR / string; returns the octets.</summary>
    public byte[] AStringBytes()
    {
        if (PeekIs('"') || PeekIs('{') || PeekIs('~'))
            return StringBytes();
        int start = Position;
        while (!AtEnd && ImapChars.IsAStringChar(text[Position]))
            Position++;
        if (Position == start)
            throw new ImapParseException(AtEnd ? "Missing argument" : $"Expected a string at offset {Position}");
        return text[start..Position];
    }

    public string AString() => Utf8(AStringBytes());

    /// <summary>list-mailbox = 1*list-char / string (RFC 9051 9): an astring that may hold "%" and "*".</summary>
    public string ListMailbox()
    {
        if (PeekIs('"') || PeekLiteral())
            return String();
        int start = Position;
        while (!AtEnd && ImapChars.IsListChar(text[Position]))
            Position++;
        if (Position == start)
            throw new ImapParseException("Expected a mailbox pattern");
        return Encoding.ASCII.GetString(text, start, Position - start);
    }

    /// <summary>string = quoted / literal.</summary>
    public byte[] StringBytes()
    {
        if (PeekIs('"'))
            return Quoted();
        var literal = Literal();
        if (!literal.IsInMemory)
            throw new ImapParseException("Literal too large for this argument");
        return literal.Span.ToArray();
    }

    public string String() => Utf8(StringBytes());

    /// <summary>nstring = string / "NIL".</summary>
    public string? NString()
    {
        if (TryKeyword("NIL"))
            return null;
        return String();
    }

    /// <summary>quoted = DQUOTE *QUOTED-CHAR DQUOTE; QUOTED-CHAR = TEXT-CHAR except quoted-specials / "\" quoted-specials.
    /// UTF-8 is allowed inside (RFC 9051 9 QUOTED-CHAR includes UTF8-2/3/4).</summary>
    public byte[] Quoted()
    {
        Expect('"');
        var result = new List<byte>();
        while (true)
        {
            if (AtEnd)
                throw new ImapParseException("Unterminated quoted string");
            byte b = text[Position++];
            if (b == (byte)'"')
                return [.. result];
            if (b == (byte)'\\')
            {
                if (AtEnd || text[Position] is not ((byte)'"' or (byte)'\\'))
                    throw new ImapParseException("Invalid escape in quoted string");
                result.Add(text[Position++]);
                continue;
            }
            if (!ImapChars.IsTextChar(b))
                throw new ImapParseException("Invalid character in quoted string");
            result.Add(b);
        }
    }

    /// <summary>literal / literal8: the announcement in the text and the octets the framer collected.</summary>
    public ImapLiteral Literal()
    {
        bool binary = TryExpect('~');
        Expect('{');
        int start = Position;
        while (!AtEnd && text[Position] is >= (byte)'0' and <= (byte)'9')
            Position++;
        if (Position == start)
            throw new ImapParseException("Invalid literal");
        if (PeekIs('+') || PeekIs('-'))
            Position++;
        Expect('}');
        var literal = command.LiteralAt(Position) ?? throw new ImapParseException("Invalid literal");
        if (literal.IsBinary != binary)
            throw new ImapParseException("Invalid literal");
        if (!binary && literal.IsInMemory && literal.Span.Contains((byte)0))
            throw new ImapParseException("NUL in a literal (use literal8, RFC 3516)");
        return literal;
    }

    public bool PeekLiteral() => PeekIs('{') || PeekIs('~');

    /// <summary>Case-insensitive keyword followed by SP, ")" or the end; consumed only if it matches.</summary>
    public bool TryKeyword(string keyword)
    {
        if (Position + keyword.Length > text.Length)
            return false;
        for (int i = 0; i < keyword.Length; i++)
        {
            if (char.ToUpperInvariant((char)text[Position + i]) != keyword[i])
                return false;
        }
        int after = Position + keyword.Length;
        if (after < text.Length && text[after] is not ((byte)' ' or (byte)')' or (byte)'('))
            return false;
        Position = after;
        return true;
    }

    /// <summary>number = 1*DIGIT (32-bit unsigned).</summary>
    public uint Number()
    {
        long v = Number64();
        if (v > uint.MaxValue)
            throw new ImapParseException("Number too large");
        return (uint)v;
    }

    public uint NzNumber()
    {
        uint v = Number();
        if (v == 0)
            throw new ImapParseException("Zero is not allowed here");
        return v;
    }

    /// <summary>number64 = 1*DIGIT (63-bit, RFC 9051 9).</summary>
    public long Number64()
    {
        int start = Position;
        long value = 0;
        while (!AtEnd && text[Position] is >= (byte)'0' and <= (byte)'9')
        {
            int digit = text[Position] - '0';
            if (value > (long.MaxValue - digit) / 10)
                throw new ImapParseException("Number too large");
            value = value * 10 + digit;
            Position++;
        }
        if (Position == start)
            throw new ImapParseException(AtEnd ? "Missing number" : $"Expected a number at offset {Position}");
        return value;
    }

    /// <summary>sequence-set; "$" only when <paramref name="allowSaved"/> (RFC 5182).</summary>
    public SequenceSet SequenceSet(bool allowSaved = true, int maxRanges = 100_000)
    {
        if (TryExpect('$'))
        {
            if (!allowSaved)
                throw new ImapParseException("$ is not allowed here");
            return Protocol.SequenceSet.Saved;
        }
        var ranges = new List<(uint, uint)>();
        while (true)
        {
            uint first = SeqNumber();
            uint last = first;
            if (TryExpect(':'))
                last = SeqNumber();
            ranges.Add((first, last));
            if (ranges.Count > maxRanges)
                throw new ImapParseException("Sequence set too long");
            if (!TryExpect(','))
                break;
        }
        return new SequenceSet(ranges);
    }

    uint SeqNumber()
    {
        if (TryExpect('*'))
            return Protocol.SequenceSet.Star;
        if (AtEnd || text[Position] is < (byte)'0' or > (byte)'9')
            throw new ImapParseException("Invalid sequence set");
        uint v = Number();
        if (v == 0)
            throw new ImapParseException("Invalid sequence set: 0 is not a message number");
        return v;
    }

    /// <summary>date = date-text / DQUOTE date-text DQUOTE; date-text = date-day "-" date-month "-" date-year.</summary>
    public DateOnly Date()
    {
        bool quoted = TryExpect('"');
        int start = Position;
        while (!AtEnd && text[Position] is not ((byte)' ' or (byte)')' or (byte)'"'))
            Position++;
        var s = Encoding.ASCII.GetString(text, start, Position - start);
        if (quoted)
            Expect('"');
        if (!DateOnly.TryParseExact(s, ["d-MMM-yyyy", "dd-MMM-yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var d))
            throw new ImapParseException("Invalid date");
        return d;
    }

    /// <summary>date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE.</summary>
    public DateTimeOffset DateTime()
    {
        var s = Encoding.ASCII.GetString(Quoted());
        if (s.Length != 26 || s[11] != ' ' || s[20] != ' ')
            throw new ImapParseException("Invalid date-time");
        var datePart = s[..11].TrimStart();
        if (!DateOnly.TryParseExact(datePart, ["d-MMM-yyyy", "dd-MMM-yyyy"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            || !TimeOnly.TryParseExact(s[12..20], "HH:mm:ss", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            throw new ImapParseException("Invalid date-time");
        var zone = s[21..];
        if (zone[0] is not ('+' or '-') || !int.TryParse(zone[1..3], NumberStyles.None, CultureInfo.InvariantCulture, out var hh)
            || !int.TryParse(zone[3..5], NumberStyles.None, CultureInfo.InvariantCulture, out var mm) || hh > 23 || mm > 59)
            throw new ImapParseException("Invalid date-time zone");
        var offset = new TimeSpan(hh, mm, 0);
        if (zone[0] == '-')
            offset = -offset;
        return new DateTimeOffset(date.ToDateTime(time), offset);
    }

    /// <summary>flag-list = "(" [flag *(SP flag)] ")"; flag = "\Answered" / ... / keyword / flag-extension.</summary>
    public List<string> FlagList()
    {
        OpenList();
        var flags = new List<string>();
        if (!TryCloseList())
        {
            while (true)
            {
                flags.Add(Flag());
                if (TryCloseList())
                    break;
                Space();
            }
        }
        return flags;
    }

    /// <summary>One flag: "\" atom or an atom keyword.</summary>
    public string Flag()
    {
        bool system = TryExpect('\\');
        var atom = Atom();
        return system ? "\\" + atom : atom;
    }

    /// <summary>Skips SP-separated elements up to the matching ")" (for unknown extension parameters).</summary>
    public void SkipListBody()
    {
        int start = depth;
        while (true)
        {
            if (AtEnd)
                throw new ImapParseException("Unterminated list");
            if (PeekIs('('))
            {
                OpenList();
                continue;
            }
            if (PeekIs(')'))
            {
                CloseList();
                if (depth < start)
                    return;
                continue;
            }
            if (PeekIs(' '))
            {
                Position++;
                continue;
            }
            if (PeekIs('"') || PeekLiteral())
                StringBytes();
            else
                AtomWhile(b => b > 0x20 && b < 0x7f && b is not ((byte)'(' or (byte)')'));
        }
    }

    static string Utf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new ImapParseException("Invalid UTF-8");
        }
    }
}
