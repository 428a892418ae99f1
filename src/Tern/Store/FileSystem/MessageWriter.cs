using System.Buffers;
using System.Security.Cryptography;

namespace Tern.Store.FileSystem;

/// <summary>Copies message content to a file with every line ending made CRLF (IMAP and POP3 serve CRLF; SMTP DATA
/// already is), counting the stored octets (and hashing them, for the import ledger).</summary>
internal static class MessageWriter
{
    /// <summary>Writes <paramref name="source"/> to <paramref name="destination"/> with CRLF line ends. Returns the number
    /// of octets written.</summary>
    public static Task<long> CopyNormalizedAsync(Stream source, Stream destination, CancellationToken cancellationToken) =>
        CopyAsync(source, destination, hash: null, cancellationToken);

    /// <summary>Hashes content as <see cref="CopyNormalizedAsync"/> would store it, without writing it.</summary>
    public static async Task<(long Size, byte[] Sha256)> HashNormalizedAsync(Stream source, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long size = await CopyAsync(source, Stream.Null, hash, cancellationToken).ConfigureAwait(false);
        return (size, hash.GetHashAndReset());
    }

    /// <remarks>The buffers are pooled: two fresh ones per message (240 KB, the larger on the large-object heap) made
    /// every APPEND feed the gen2 budget. A seekable source (an IMAP literal in memory or spilled to a file, a queued
    /// SMTP message) is copied synchronously: its reads and the page-cache writes take microseconds, and the async path
    /// of a FileStream opened without FileOptions.Asynchronous only moves each write to another pool thread.</remarks>
    static async Task<long> CopyAsync(Stream source, Stream destination, IncrementalHash? hash, CancellationToken cancellationToken)
    {
        const int chunk = 81920;
        var input = ArrayPool<byte>.Shared.Rent(chunk);
        var output = ArrayPool<byte>.Shared.Rent(chunk * 2 + 2);
        try
        {
            bool local = source.CanSeek;
            long size = 0;
            bool afterCr = false;
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int read = local
                    ? source.Read(input, 0, chunk)
                    : await source.ReadAsync(input.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                    return size;
                int n = Normalize(input.AsSpan(0, read), output, ref afterCr);
                hash?.AppendData(output, 0, n);
                if (local)
                    destination.Write(output, 0, n);
                else
                    await destination.WriteAsync(output.AsMemory(0, n), cancellationToken).ConfigureAwait(false);
                size += n;
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
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
