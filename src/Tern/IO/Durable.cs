using System.Runtime.InteropServices;

namespace Tern.IO;

/// <summary>The fsync steps that make a rename durable, for the queue and the store alike. A rename is only on disk once the directory that holds the new
/// name is fsynced; .NET has no API for that, so open(2) the directory read-only and fsync(2) it.</summary>
public static class Durable
{
    // O_RDONLY is enough to fsync a directory; O_DIRECTORY's value differs between architectures, so it is not used.
    const int ORdOnly = 0;

    // DllImport rather than LibraryImport: the generated marshalling would need unsafe code in the whole project.
    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    static extern int Close(int fd);

    [DllImport("libc", EntryPoint = "syncfs", SetLastError = true)]
    static extern int SyncFs(int fd);

    [DllImport("libc", EntryPoint = "link", SetLastError = true)]
    static extern int Link([MarshalAs(UnmanagedType.LPUTF8Str)] string existing, [MarshalAs(UnmanagedType.LPUTF8Str)] string newPath);

    /// <summary>link(2): gives the file at <paramref name="existing"/> a second name (same file system); durable only once
    /// the new name's folder is fsynced. False when the file system (or the platform) has no hard links; an
    /// <see cref="IOException"/> for any other failure, such as <paramref name="newPath"/> existing.</summary>
    public static bool TryHardLink(string existing, string newPath)
    {
        if (OperatingSystem.IsWindows())
            return false;
        if (Link(existing, newPath) == 0)
            return true;
        int errno = Marshal.GetLastPInvokeError();
        // EPERM (FAT, some FUSE), EXDEV, EMLINK, ENOSYS, EOPNOTSUPP: no second name possible here.
        if (errno is 1 or 18 or 31 or 38 or 95)
            return false;
        throw new IOException($"cannot link {newPath} (errno {errno})", errno);
    }

    /// <summary>syncfs(2): flushes every file of the file system that holds <paramref name="anyPath"/> at once. For bulk
    /// loads, where one call replaces thousands of fsyncs; Linux only (elsewhere nothing happens).</summary>
    public static void SyncFileSystem(string anyPath)
    {
        if (!OperatingSystem.IsLinux())
            return;
        int fd = Open(anyPath, ORdOnly);
        if (fd < 0)
            throw new IOException($"cannot open {anyPath} (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (SyncFs(fd) != 0)
                throw new IOException($"syncfs failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>fsyncs a directory so that entries created or renamed in it survive a crash.</summary>
    public static void SyncDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
            return; // NTFS journals renames; there is no directory handle to flush.
        int fd = Open(path, ORdOnly);
        if (fd < 0)
            throw new IOException($"cannot open directory {path} to fsync it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                // EINVAL: the file system does not support fsync on directories; nothing more can be done.
                if (errno != 22)
                    throw new IOException($"fsync of directory {path} failed (errno {errno})", errno);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    /// <summary>Writes a small file atomically and durably: temporary name, fsync, rename, directory fsync.</summary>
    public static void WriteFileAtomically(string path, Action<Stream> write)
    {
        var dir = Path.GetDirectoryName(path)!;
        var temp = Path.Combine(dir, "." + Path.GetFileName(path) + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp");
        try
        {
            using (var stream = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 65536))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temp, path, overwrite: true);
            SyncDirectory(dir);
        }
        catch
        {
            TryDelete(temp);
            throw;
        }
    }

    public static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }

    /// <summary>ENOSPC (Linux 28) or ERROR_DISK_FULL / ERROR_HANDLE_DISK_FULL (Windows 112 / 39), also EDQUOT (122).</summary>
    public static bool IsDiskFull(Exception ex) =>
        ex is IOException io && ((io.HResult & 0xFFFF) is 28 or 112 or 39 or 122 || io.HResult is 28 or 122);
}
