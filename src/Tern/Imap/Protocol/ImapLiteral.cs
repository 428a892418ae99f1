namespace Tern.Imap.Protocol;

/// <summary>The data of one literal of a command (RFC 9051 4.3): small ones in memory, large ones (APPEND messages)
/// in a temporary file filled as the octets arrive, so an announced size never becomes an allocation.</summary>
public sealed class ImapLiteral : IDisposable
{
    readonly byte[]? memory;
    readonly Stream? spill;

    ImapLiteral(long length, bool binary, byte[]? memory, Stream? spill)
    {
        Length = length;
        IsBinary = binary;
        this.memory = memory;
        this.spill = spill;
    }

    public static ImapLiteral InMemory(byte[] data, bool binary) => new(data.Length, binary, data, null);

    /// <param name="spill">A readable, seekable stream that already holds the literal's octets.</param>
    public static ImapLiteral Spilled(Stream spill, long length, bool binary) => new(length, binary, null, spill);

    public long Length { get; }

    /// <summary>A literal8 (<c>~{n}</c>, RFC 3516) that may contain NUL.</summary>
    public bool IsBinary { get; }

    public bool IsInMemory => memory is not null;

    /// <summary>The octets of an in-memory literal; throws for a spilled one (use <see cref="OpenRead"/>).</summary>
    public ReadOnlySpan<byte> Span => memory ?? throw new InvalidOperationException("The literal is kept in a file.");

    public Stream OpenRead()
    {
        if (memory is not null)
            return new MemoryStream(memory, writable: false);
        spill!.Position = 0;
        return spill;
    }

    public void Dispose() => spill?.Dispose();
}
