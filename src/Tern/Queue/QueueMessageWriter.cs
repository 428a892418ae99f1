namespace Tern.Queue;

/// <summary>A message being received: bytes go straight to <c>ID.msg.tmp</c> in the queue folder (never the whole
/// message in memory). <see cref="CommitAsync"/> makes it a queue entry; disposing without commit deletes the temp file,
/// so a client that vanishes mid-DATA leaves nothing behind.</summary>
public sealed class QueueMessageWriter : IAsyncDisposable
{
    readonly QueueStore queue;
    readonly FileStream file;
    bool committed;
    bool disposed;

    internal QueueMessageWriter(QueueStore queue, string id, string tempPath)
    {
        this.queue = queue;
        Id = id;
        TempPath = tempPath;
        file = new FileStream(tempPath, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.Read,
            BufferSize = 64 * 1024,
            Options = FileOptions.Asynchronous,
        });
    }

    /// <summary>The queue id reserved for this message (named in the Received header before the body arrives).</summary>
    public string Id { get; }

    internal string TempPath { get; }

    /// <summary>The content so far: the trace header, then the message as received.</summary>
    public Stream Content => file;

    /// <summary>Octets written so far.</summary>
    public long Length => file.Length;

    public ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
        file.WriteAsync(data, cancellationToken);

    /// <summary>fsyncs the content, writes and fsyncs the envelope, renames both into place and fsyncs the folder.
    /// When this returns the message is durable and the 250 reply may be sent.</summary>
    public async Task<string> CommitAsync(QueueEnvelope envelope, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        if (committed)
            throw new InvalidOperationException("Already committed.");
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        envelope.Id = Id;
        envelope.Size = file.Length;
        await queue.CommitAsync(this, file, envelope, cancellationToken).ConfigureAwait(false);
        committed = true;
        return Id;
    }

    public async ValueTask DisposeAsync()
    {
        if (disposed)
            return;
        disposed = true;
        await file.DisposeAsync().ConfigureAwait(false);
        if (!committed)
        {
            try { File.Delete(TempPath); }
            catch (IOException) { } // recovery at the next start removes it
        }
    }
}
