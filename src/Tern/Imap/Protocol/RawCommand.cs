namespace Tern.Imap.Protocol;

/// <summary>One framed command: its text with the line breaks and literal octets taken out, and the literals.</summary>
/// <remarks><see cref="Text"/> keeps each literal's announcement (<c>{5}</c>, <c>{5+}</c>, <c>~{5}</c>); the literal
/// is found by the position right after the closing brace, where the rest of the command continues.</remarks>
public sealed class RawCommand : IDisposable
{
    public RawCommand(byte[] text, IReadOnlyList<(int Position, ImapLiteral Literal)> literals)
    {
        Text = text;
        Literals = literals;
    }

    public byte[] Text { get; }
    public IReadOnlyList<(int Position, ImapLiteral Literal)> Literals { get; }

    public ImapLiteral? LiteralAt(int position)
    {
        foreach (var (p, l) in Literals)
        {
            if (p == position)
                return l;
        }
        return null;
    }

    public void Dispose()
    {
        foreach (var (_, l) in Literals)
            l.Dispose();
    }
}
