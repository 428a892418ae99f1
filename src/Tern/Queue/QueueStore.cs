using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Tern.Configuration;

namespace Tern.Queue;

/// <summary>The durable mail queue: one <c>ID.msg</c> (the message exactly as received, trace header first) and one
/// <c>ID.env</c> (<see cref="QueueEnvelope"/>, JSON) per message in <c>&lt;data&gt;/&lt;Queue.Directory&gt;</c>.</summary>
/// <remarks>
/// <para>Durability: every file is written under a <c>.tmp</c> name, fsynced, renamed into place and the folder
/// fsynced; <see cref="QueueMessageWriter.CommitAsync"/> returns only after that, so an SMTP 250 is never sent for
/// mail that is not on disk. The .msg is renamed before the .env: an entry exists exactly when its .env does.</para>
/// <para>Use: SMTP calls <see cref="CreateMessageWriter"/> and streams DATA into it; runners subscribe to
/// <see cref="Enqueued"/>, scan with <see cref="ListAsync"/>, read with <see cref="ReadEnvelopeAsync"/> and
/// <see cref="OpenMessage"/>, record progress per recipient with
/// <see cref="UpdateEnvelopeAsync(string, Func{QueueEnvelope, bool}, CancellationToken)"/> (atomic read-modify-write,
/// serialised per id, so the local agent and the relay can update different recipients of one entry), and end an entry
/// with <see cref="FinishIfDoneAsync"/>, <see cref="CompleteAsync"/> or <see cref="MoveToBadAsync"/>.</para>
/// <para>Recovery: <see cref="RecoverAsync"/> (run by the host at start, not by CLI commands) deletes temp files and
/// .msg files without .env left by a process killed mid-write; none of them was ever acknowledged.</para>
/// </remarks>
public sealed class QueueStore
{
    const string MessageExtension = ".msg";
    const string EnvelopeExtension = ".env";
    const string ReasonExtension = ".reason";
    const string TempExtension = ".tmp";

    readonly ILogger logger;
    readonly DirectorySync queueSync;
    readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);

    public QueueStore(TernOptions options, ILogger<QueueStore> logger)
    {
        this.logger = logger;
        QueueDirectory = options.ResolveDataPath(options.Queue.Directory);
        BadDirectory = options.ResolveDataPath(options.Queue.BadDirectory);
        Directory.CreateDirectory(QueueDirectory);
        queueSync = new DirectorySync(QueueDirectory);
    }

    /// <summary>Full path of the queue folder.</summary>
    public string QueueDirectory { get; }

    /// <summary>Full path of the folder for mail that failed for good (ID.msg, ID.env, ID.reason).</summary>
    public string BadDirectory { get; }

    /// <summary>Raised with the queue id right after an entry became durable (before the SMTP 250 is written).
    /// Handlers must be quick (post to a channel); exceptions are logged and swallowed.</summary>
    public event Action<string>? Enqueued;

    /// <summary>Reserves a queue id and opens its temp .msg for streaming.</summary>
    public QueueMessageWriter CreateMessageWriter()
    {
        var id = QueueId.New();
        return new QueueMessageWriter(this, id, PathOf(id, MessageExtension + TempExtension));
    }

    /// <summary>Queues a complete message (bounces, tests, the CLI): copies <paramref name="message"/> (trace header
    /// included) and commits it with <paramref name="envelope"/>. Returns the queue id.</summary>
    public async Task<string> EnqueueAsync(Stream message, QueueEnvelope envelope, CancellationToken cancellationToken = default)
    {
        await using var writer = CreateMessageWriter();
        await message.CopyToAsync(writer.Content, cancellationToken).ConfigureAwait(false);
        return await writer.CommitAsync(envelope, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes a received message a queue entry. Both files are written, renamed into place (.msg first), and
    /// then the .msg, the .env and the folder are fsynced at once; this returns (and SMTP sends its 250) only after all
    /// three. Concurrent fsyncs let a journalling file system commit them together, one disk wait instead of three.</summary>
    /// <remarks>Until the fsyncs return, a crash of the machine may leave an entry whose names survived but whose
    /// octets did not (XFS and btrfs can leave such a file short or empty). Such an entry was never acknowledged:
    /// <see cref="RecoverAsync"/> finds it by its size, which the envelope records, and moves it to the bad folder.</remarks>
    internal async Task CommitAsync(QueueMessageWriter writer, FileStream content, QueueEnvelope envelope, CancellationToken cancellationToken)
    {
        var envTemp = PathOf(writer.Id, EnvelopeExtension + TempExtension);
        var messagePath = PathOf(writer.Id, MessageExtension);
        var envelopePath = PathOf(writer.Id, EnvelopeExtension);
        bool renamed = false;
        try
        {
            // FileShare.Read: once renamed, runners may read the envelope while this handle still fsyncs it.
            await using var envFile = new FileStream(envTemp, FileMode.Create, FileAccess.Write, FileShare.Read, 4096, FileOptions.Asynchronous);
            await envFile.WriteAsync(Serialize(envelope), cancellationToken).ConfigureAwait(false);
            await envFile.FlushAsync(cancellationToken).ConfigureAwait(false);
            File.Move(writer.TempPath, messagePath);
            File.Move(envTemp, envelopePath);
            renamed = true;
            // fsync on pool threads: each blocks for milliseconds and the session's thread has better things to do.
            // Not cancellable: the entry is in place and must become durable or be taken back.
            await Task.WhenAll(
                Task.Run(() => content.Flush(flushToDisk: true), CancellationToken.None),
                Task.Run(() => envFile.Flush(flushToDisk: true), CancellationToken.None),
                queueSync.SyncAsync()).ConfigureAwait(false);
        }
        catch
        {
            // Nothing was acknowledged: take the entry back (.env first, so no runner sees an entry without content).
            Tern.IO.Durable.TryDelete(renamed ? envelopePath : envTemp);
            if (renamed)
                Tern.IO.Durable.TryDelete(messagePath);
            throw;
        }
        await content.DisposeAsync().ConfigureAwait(false);
        QueueLog.Enqueued(logger, writer.Id, envelope.Size, envelope.Sender.Address, envelope.Recipients.Count);
        RaiseEnqueued(writer.Id);
    }

    /// <summary>Raises <see cref="Enqueued"/> again for an entry that has new work for a runner: recipients added after
    /// it was queued (an alias's targets in other domains, found at local delivery).</summary>
    public void NotifyChanged(string id) => RaiseEnqueued(CheckId(id));

    void RaiseEnqueued(string id)
    {
        var handlers = Enqueued;
        if (handlers is null)
            return;
        foreach (Action<string> handler in handlers.GetInvocationList())
        {
            try { handler(id); }
#pragma warning disable CA1031 // a faulty subscriber must not fail the SMTP transaction that is already durable
            catch (Exception ex) { QueueLog.SubscriberFailed(logger, ex, id); }
#pragma warning restore CA1031
        }
    }

    /// <summary>Ids of every complete entry, oldest first.</summary>
    public Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken = default)
    {
        var ids = new List<string>();
        foreach (var path in Directory.EnumerateFiles(QueueDirectory, "*" + EnvelopeExtension))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var id = Path.GetFileNameWithoutExtension(path);
            if (QueueId.IsValid(id))
                ids.Add(id);
        }
        ids.Sort(StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyList<string>>(ids);
    }

    /// <summary>The envelope of an entry; null when the entry is gone (completed by another runner).
    /// Throws <see cref="InvalidDataException"/> for an unreadable file or an unknown version.</summary>
    public async Task<QueueEnvelope?> ReadEnvelopeAsync(string id, CancellationToken cancellationToken = default)
    {
        var path = PathOf(CheckId(id), EnvelopeExtension);
        byte[] bytes;
        try { bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false); }
        catch (FileNotFoundException) { return null; }
        return Deserialize(id, bytes);
    }

    /// <summary>Replaces an entry's envelope atomically (temp, fsync, rename, folder fsync).</summary>
    public async Task UpdateEnvelopeAsync(string id, QueueEnvelope envelope, CancellationToken cancellationToken = default)
    {
        var gate = LockOf(CheckId(id));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try { await ReplaceEnvelopeAsync(id, envelope, cancellationToken).ConfigureAwait(false); }
        finally { gate.Release(); }
    }

    /// <summary>Atomic read-modify-write of an envelope, serialised with every other update of the same id in this
    /// process. <paramref name="mutate"/> returns false to leave the file untouched. Returns the envelope as stored
    /// afterwards, or null when the entry is gone.</summary>
    public async Task<QueueEnvelope?> UpdateEnvelopeAsync(string id, Func<QueueEnvelope, bool> mutate, CancellationToken cancellationToken = default)
    {
        var gate = LockOf(CheckId(id));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var envelope = await ReadEnvelopeAsync(id, cancellationToken).ConfigureAwait(false);
            if (envelope is null)
                return null;
            if (mutate(envelope))
                await ReplaceEnvelopeAsync(id, envelope, cancellationToken).ConfigureAwait(false);
            return envelope;
        }
        finally { gate.Release(); }
    }

    async Task ReplaceEnvelopeAsync(string id, QueueEnvelope envelope, CancellationToken cancellationToken)
    {
        var target = PathOf(id, EnvelopeExtension);
        if (!File.Exists(target))
            throw new FileNotFoundException($"Queue entry {id} does not exist.", target);
        envelope.Id = id;
        var temp = PathOf(id, $"{EnvelopeExtension}.{Guid.NewGuid():N}{TempExtension}");
        await WriteDurablyAsync(temp, Serialize(envelope), cancellationToken).ConfigureAwait(false);
        File.Move(temp, target, overwrite: true);
        await queueSync.SyncAsync().ConfigureAwait(false);
    }

    /// <summary>Opens the message (trace header first) for reading. The caller disposes it.
    /// Throws <see cref="FileNotFoundException"/> when the entry is gone.</summary>
    public Stream OpenMessage(string id) =>
        new FileStream(PathOf(CheckId(id), MessageExtension), new FileStreamOptions
        {
            Mode = FileMode.Open,
            Access = FileAccess.Read,
            Share = FileShare.Read | FileShare.Delete,
            BufferSize = 64 * 1024,
            Options = FileOptions.Asynchronous | FileOptions.SequentialScan,
        });

    /// <summary>Removes an entry whose recipients are all done. The .env goes first: a crash in between leaves an
    /// orphan .msg that recovery deletes, never an entry without content.</summary>
    /// <remarks>The folder is not fsynced: a process crash cannot undo an unlink, and after an operating-system crash
    /// the entry may come back and be delivered a second time, which RFC 5321 6.1 prefers to a loss (Postfix removes
    /// its queue files the same way). Every delivery the entry records was itself durable before this.</remarks>
    public async Task CompleteAsync(string id, CancellationToken cancellationToken = default)
    {
        var gate = LockOf(CheckId(id));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            File.Delete(PathOf(id, EnvelopeExtension));
            File.Delete(PathOf(id, MessageExtension));
            QueueLog.Completed(logger, id);
        }
        finally
        {
            gate.Release();
            locks.TryRemove(id, out _);
        }
    }

    /// <summary>Moves an entry to the bad folder with an <c>ID.reason</c> file (one reason a line).</summary>
    public async Task MoveToBadAsync(string id, IEnumerable<string> reasons, CancellationToken cancellationToken = default)
    {
        var gate = LockOf(CheckId(id));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Directory.CreateDirectory(BadDirectory);
            var text = string.Join('\n', reasons) + "\n";
            var reasonTemp = Path.Combine(BadDirectory, id + ReasonExtension + TempExtension);
            await WriteDurablyAsync(reasonTemp, Encoding.UTF8.GetBytes(text), cancellationToken).ConfigureAwait(false);
            File.Move(reasonTemp, Path.Combine(BadDirectory, id + ReasonExtension), overwrite: true);
            File.Move(PathOf(id, MessageExtension), Path.Combine(BadDirectory, id + MessageExtension), overwrite: true);
            File.Move(PathOf(id, EnvelopeExtension), Path.Combine(BadDirectory, id + EnvelopeExtension), overwrite: true);
            await Task.Run(() => DirectorySync.Fsync(BadDirectory), cancellationToken).ConfigureAwait(false);
            await queueSync.SyncAsync().ConfigureAwait(false);
            QueueLog.MovedToBad(logger, id, text.TrimEnd().Replace('\n', ';'));
        }
        finally
        {
            gate.Release();
            locks.TryRemove(id, out _);
        }
    }

    /// <summary>Ends an entry when every recipient is final: removed when all were delivered, moved to the bad folder
    /// (with each failed recipient's reason) when any failed. False (and nothing done) while a recipient is pending or
    /// deferred. The relay replaces the bad-folder step with a bounce (DSN) first.</summary>
    public async Task<bool> FinishIfDoneAsync(string id, CancellationToken cancellationToken = default)
    {
        var envelope = await ReadEnvelopeAsync(id, cancellationToken).ConfigureAwait(false);
        if (envelope is null || !envelope.IsFinished)
            return false;
        var failed = envelope.Recipients.Where(r => r.State == RecipientState.Failed).ToList();
        if (failed.Count == 0)
            await CompleteAsync(id, cancellationToken).ConfigureAwait(false);
        else
            await MoveToBadAsync(id, failed.Select(r => $"<{r.Address}>: {r.Reason}"), cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Deletes what a killed process left: temp files, and .msg files without .env (never acknowledged); moves
    /// to the bad folder an entry whose .msg is not as long as its envelope says (a machine crash during the commit,
    /// see <see cref="CommitAsync(QueueMessageWriter, FileStream, QueueEnvelope, CancellationToken)"/>: never
    /// acknowledged, but kept for a person to look at rather than deleted). Only files older than this process are
    /// touched, in case a CLI command runs beside a live server.</summary>
    public async Task RecoverAsync(CancellationToken cancellationToken = default)
    {
        var startedAt = System.Diagnostics.Process.GetCurrentProcess().StartTime.ToUniversalTime();
        bool removed = false;
        foreach (var path in Directory.EnumerateFiles(QueueDirectory))
        {
            var name = Path.GetFileName(path);
            bool leftover = name.EndsWith(TempExtension, StringComparison.Ordinal)
                || (name.EndsWith(MessageExtension, StringComparison.Ordinal)
                    && !File.Exists(Path.ChangeExtension(path, EnvelopeExtension)));
            if (!leftover || File.GetLastWriteTimeUtc(path) > startedAt)
                continue;
            try
            {
                File.Delete(path);
                removed = true;
                QueueLog.RemovedLeftover(logger, name);
            }
            catch (IOException) { }
        }
        if (removed)
            DirectorySync.Fsync(QueueDirectory);
        foreach (var path in Directory.EnumerateFiles(QueueDirectory, "*" + EnvelopeExtension))
        {
            var id = Path.GetFileNameWithoutExtension(path);
            if (!QueueId.IsValid(id) || File.GetLastWriteTimeUtc(path) > startedAt)
                continue;
            var message = new FileInfo(PathOf(id, MessageExtension));
            long? expected;
            try { expected = Deserialize(id, File.ReadAllBytes(path)).Size; }
            catch (InvalidDataException) { continue; } // reported by Deserialize; runners leave it alone too
            catch (IOException) { continue; }
            if (message.Exists && message.Length == expected)
                continue;
            var reason = message.Exists
                ? $"incomplete after a crash: the message file has {message.Length} octets, the envelope says {expected} (it was never acknowledged)"
                : "incomplete after a crash: the message file is missing (it was never acknowledged)";
            if (!message.Exists)
                File.WriteAllBytes(message.FullName, []);
            await MoveToBadAsync(id, [reason], cancellationToken).ConfigureAwait(false);
        }
    }

    string PathOf(string id, string extension) => Path.Combine(QueueDirectory, id + extension);

    SemaphoreSlim LockOf(string id) => locks.GetOrAdd(id, _ => new SemaphoreSlim(1, 1));

    static string CheckId(string id) =>
        QueueId.IsValid(id) ? id : throw new ArgumentException($"'{id}' is not a queue id.", nameof(id));

    static byte[] Serialize(QueueEnvelope envelope) =>
        JsonSerializer.SerializeToUtf8Bytes(envelope, QueueJsonContext.Default.QueueEnvelope);

    QueueEnvelope Deserialize(string id, byte[] bytes)
    {
        QueueEnvelope? envelope;
        try { envelope = JsonSerializer.Deserialize(bytes, QueueJsonContext.Default.QueueEnvelope); }
        catch (JsonException ex)
        {
            QueueLog.BadEnvelope(logger, id, ex.Message);
            throw new InvalidDataException($"{id}.env: {ex.Message}", ex);
        }
        if (envelope is null || envelope.Version != QueueEnvelope.CurrentVersion)
        {
            var reason = $"{id}.env: unsupported version {envelope?.Version}";
            QueueLog.BadEnvelope(logger, id, reason);
            throw new InvalidDataException(reason);
        }
        return envelope;
    }

    static async Task WriteDurablyAsync(string path, byte[] content, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 4096, FileOptions.Asynchronous);
        await file.WriteAsync(content, cancellationToken).ConfigureAwait(false);
        await file.FlushAsync(cancellationToken).ConfigureAwait(false);
        await Task.Run(() => file.Flush(flushToDisk: true), cancellationToken).ConfigureAwait(false);
    }
}
