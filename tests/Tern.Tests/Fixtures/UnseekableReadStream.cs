namespace Tern.Tests.Fixtures;

/// <summary>A read-only stream that cannot seek, as a network stream is: a test says what each read returns.</summary>
public abstract class UnseekableReadStream : Stream
{
    /// <summary>Octets read so far.</summary>
    protected int Offset { get; set; }
    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => throw new NotSupportedException();
    public override long Position { get => Offset; set => throw new NotSupportedException(); }
    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
