using System.IO.Compression;

namespace Tern.Net;

/// <summary>RFC 4978 COMPRESS=DEFLATE under a connection: raw DEFLATE (RFC 1951, no zlib header) both ways. Every
/// flush of the writer is a sync flush, so each response the protocol flushes (an IDLE update too) reaches the client
/// whole. A corrupt compressed stream reads as an <see cref="IOException"/>, which the connection treats as a close.</summary>
sealed class DeflateTransport : IAsyncDisposable
{
    readonly Stream inner;

    public DeflateTransport(Stream inner)
    {
        this.inner = inner;
        Inflater = new InflateStream(new DeflateStream(inner, CompressionMode.Decompress, leaveOpen: true));
        Deflater = new DeflateStream(inner, CompressionLevel.Fastest, leaveOpen: true);
    }

    public Stream Inflater { get; }
    public DeflateStream Deflater { get; }

    public async ValueTask DisposeAsync()
    {
        try { await Deflater.DisposeAsync().ConfigureAwait(false); }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException) { }
        await Inflater.DisposeAsync().ConfigureAwait(false);
        await inner.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Reads through the inflater; bad compressed data becomes an <see cref="IOException"/>.</summary>
    sealed class InflateStream(DeflateStream inflater) : Stream
    {
        public override bool CanRead => true;
        public override bool CanWrite => false;
        public override bool CanSeek => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            try { return inflater.Read(buffer, offset, count); }
            catch (InvalidDataException ex) { throw new IOException("Invalid compressed data: " + ex.Message, ex); }
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try { return await inflater.ReadAsync(buffer, cancellationToken).ConfigureAwait(false); }
            catch (InvalidDataException ex) { throw new IOException("Invalid compressed data: " + ex.Message, ex); }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override void Flush() { }
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inflater.Dispose();
            base.Dispose(disposing);
        }
    }
}
