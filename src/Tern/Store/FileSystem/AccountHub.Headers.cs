using Microsoft.Win32.SafeHandles;

namespace Tern.Store.FileSystem;

/// <summary>Top-level message headers for FETCH BODY[HEADER...] (see <see cref="HeaderCache"/>).</summary>
internal sealed partial class AccountHub
{
    readonly long headerScope = HeaderCache.NewScope();
    HeaderCache? headers;

    /// <summary>The header cache: the store's shared one, or (a hub made without a store) one of its own.</summary>
    internal HeaderCache Headers
    {
        get => LazyInitializer.EnsureInitialized(ref headers, () => new HeaderCache(Options.HeaderCacheBytes));
        set => headers = value;
    }

    public Task<IReadOnlyDictionary<long, ReadOnlyMemory<byte>>> GetHeadersAsync(long mailboxId, UidSet uids, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uids);
        var result = new Dictionary<long, ReadOnlyMemory<byte>>();
        var cache = Headers;
        List<(long Uid, long Id, long Origin)>? misses = null;
        using var reader = RentReader();
        foreach (var (first, last) in uids.Ranges)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var r = reader.Prepared("""
                SELECT mm.uid, mm.message_id, m.origin_mailbox FROM mailbox_messages mm JOIN messages m ON m.id = mm.message_id
                WHERE mm.mailbox_id = $m AND mm.uid BETWEEN $a AND $b
                """, ("$m", mailboxId), ("$a", first), ("$b", last)).ExecuteReader();
            while (r.Read())
            {
                long uid = r.GetInt64(0), id = r.GetInt64(1);
                if (cache.TryGet(headerScope, id, out var header))
                    result[uid] = header;
                else
                    (misses ??= []).Add((uid, id, r.GetInt64(2)));
            }
        }
        if (misses is null)
            return Task.FromResult<IReadOnlyDictionary<long, ReadOnlyMemory<byte>>>(result);
        foreach (var (uid, id, origin) in misses)
        {
            cancellationToken.ThrowIfCancellationRequested();
            long length;
            using (var r = reader.Prepared("SELECT structure FROM messages WHERE id = $id", ("$id", id)).ExecuteReader())
            {
                if (!r.Read())
                    continue; // expunged since the listing
                length = StructureSerializer.Deserialize((byte[])r.GetValue(0)).Body.HeaderLength;
            }
            var header = ReadHeaderFile(id, origin, length);
            if (header is null)
            {
                // The file is gone: expunged meanwhile (the row went too), or lost (the index still has it).
                using var r = reader.Prepared("SELECT count(*) FROM mailbox_messages WHERE mailbox_id = $m AND uid = $u",
                    ("$m", mailboxId), ("$u", uid)).ExecuteReader();
                if (r.Read() && r.GetInt64(0) > 0)
                    throw new MailStoreException(MailStoreError.Corrupt, $"the file of UID {uid} is missing; run 'tern store verify --fix'");
                continue;
            }
            cache.Add(headerScope, id, header);
            result[uid] = header;
        }
        return Task.FromResult<IReadOnlyDictionary<long, ReadOnlyMemory<byte>>>(result);
    }

    /// <summary>The first <paramref name="length"/> octets of a message file; null when the file is gone.</summary>
    byte[]? ReadHeaderFile(long id, long origin, long length)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(MessageFiles.PathOf(MessagesDirectory, id, origin), FileMode.Open, FileAccess.Read,
                FileShare.ReadWrite | FileShare.Delete);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
        using (handle)
        {
            var header = new byte[length];
            int read = 0;
            while (read < header.Length)
            {
                int n = RandomAccess.Read(handle, header.AsSpan(read), read);
                if (n == 0)
                    throw new MailStoreException(MailStoreError.Corrupt, $"message file {id} ends inside its header");
                read += n;
            }
            return header;
        }
    }

    /// <summary>Forgets the headers of message files that are being deleted.</summary>
    void ForgetHeaders(IEnumerable<(long Id, long Origin)> files)
    {
        if (headers is not { } cache)
            return;
        foreach (var (id, _) in files)
            cache.Remove(headerScope, id);
    }
}
