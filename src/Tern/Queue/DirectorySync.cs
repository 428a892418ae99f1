namespace Tern.Queue;

/// <summary>fsync of a directory, so that a rename into it survives a power loss. .NET has no API for it, hence libc.</summary>
/// <remarks>Group commit: callers that arrive while a sync is queued share it; a sync always starts after the caller's
/// rename, so every caller's rename is covered. Under load, ten sessions cost one directory fsync instead of ten.</remarks>
internal sealed class DirectorySync(string path)
{
    readonly Lock gate = new();
    Task? queued;
    Task last = Task.CompletedTask;

    public string Path { get; } = path;

    public Task SyncAsync()
    {
        lock (gate)
        {
            if (queued is not null)
                return queued;
            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            queued = done.Task;
            var previous = last;
            last = done.Task;
            _ = RunAfterAsync(previous, done);
            return done.Task;
        }
    }

    async Task RunAfterAsync(Task previous, TaskCompletionSource done)
    {
        try { await previous.ConfigureAwait(false); }
        catch (IOException) { }
        lock (gate)
            queued = null; // callers from now on need a later sync: this one may start before their rename
        try
        {
            await Task.Run(() => Fsync(Path)).ConfigureAwait(false);
            done.SetResult();
        }
        catch (IOException ex)
        {
            done.SetException(ex);
        }
    }

    /// <summary>fsyncs the directory now (see <see cref="Tern.IO.Durable.SyncDirectory"/>).</summary>
    public static void Fsync(string directory) => Tern.IO.Durable.SyncDirectory(directory);
}
