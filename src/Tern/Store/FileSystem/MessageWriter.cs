using System.Security.Cryptography;

namespace Tern.Store.FileSystem;

/// <summary>Copies message content to a file with every line ending made CRLF (IMAP and POP3 serve CRLF; SMTP DATA
/// already is), counting the stored octets and hashing them.</summary>
internal static class MessageWriter
{
    /// <summary>Writes <paramref name="source"/> to <paramref name="destination"/> with CRLF line ends.
    /// Returns the number of octets written and their SHA-256.</summary>
    public static async Task<(long Size, byte[] Sha256)> CopyNormalizedAsync(Stream source, Stream destination, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var input = new byte[81920];
        var output = new byte[input.Length * 2 + 2];
        long size = 0;
        bool afterCr = false;
        int read;
        while ((read = await source.ReadAsync(input, cancellationToken).ConfigureAwait(false)) > 0)
        {
            int n = Normalize(input.AsSpan(0, read), output, ref afterCr);
            hash.AppendData(output, 0, n);
            await destination.WriteAsync(output.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
            size += n;
        }
        return (size, hash.GetHashAndReset());
    }

    /// <summary>Hashes content as <see cref="CopyNormalizedAsync"/> would store it, without writing it.</summary>
    public static async Task<(long Size, byte[] Sha256)> HashNormalizedAsync(Stream source, CancellationToken cancellationToken)
    {
        return await CopyNormalizedAsync(source, Stream.Null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>CR, LF and CRLF each become CRLF. <paramref name="afterCr"/> carries a CR seen at the end of a chunk.</summary>
    internal static int Normalize(ReadOnlySpan<byte> input, Span<byte> output, ref bool afterCr)
    {
        int o = 0;
        foreach (var b in input)
        {
            if (b == (byte)'\n')
            {
                if (!afterCr) { output[o++] = (byte)'\r'; output[o++] = (byte)'\n'; }
                afterCr = false;
            }
            else if (b == (byte)'\r')
            {
                output[o++] = (byte)'\r'; output[o++] = (byte)'\n';
                afterCr = true;
            }
            else
            {
                output[o++] = b;
                afterCr = false;
            }
        }
        return o;
    }
}
