namespace Tern.Store.FileSystem;

/// <summary>The top-level header blocks of recently fetched messages, least recently used out first, within a byte budget
/// shared by every account of a store. A FETCH of header fields of twenty messages (what a client's message list asks)
/// then opens no file: opening, reading and closing twenty files was most of its cost.</summary>
/// <remarks>Keyed by the message file (a hub's scope and the file's id): a message file never changes once written and
/// its id is never reused within a hub, so an entry cannot go stale; COPY and MOVE keep the file and so the entry.
/// Entries of expunged files are removed to give their bytes back. The bytes are those read from the file.</remarks>
internal sealed class HeaderCache(long budgetBytes)
{
    /// <summary>Bookkeeping per entry (node, key, array header), counted against the budget.</summary>
    internal const int EntryOverhead = 96;

    readonly record struct Key(long Scope, long MessageId);

    sealed class Entry(Key key, byte[] header)
    {
        public Key Key { get; } = key;
        public byte[] Header { get; } = header;
        public long Cost => Header.Length + EntryOverhead;
    }

    readonly Dictionary<Key, LinkedListNode<Entry>> map = [];
    readonly LinkedList<Entry> lru = new();
    readonly Lock gate = new();
    long used;

    static long nextScope;

    /// <summary>A scope of its own for each hub, so that two hubs (or a hub reopened after a reindex) never share keys.</summary>
    public static long NewScope() => Interlocked.Increment(ref nextScope);

    public long BudgetBytes { get; } = budgetBytes;

    /// <summary>Bytes held, entry overhead included; never more than <see cref="BudgetBytes"/>.</summary>
    public long UsedBytes
    {
        get { lock (gate) return used; }
    }

    public int Count
    {
        get { lock (gate) return map.Count; }
    }

    /// <summary>Largest header kept: one header may not push out a large share of the others.</summary>
    long MaxEntry => BudgetBytes / 4;

    public bool TryGet(long scope, long messageId, out byte[] header)
    {
        lock (gate)
        {
            if (map.TryGetValue(new Key(scope, messageId), out var node))
            {
                lru.Remove(node);
                lru.AddFirst(node);
                header = node.Value.Header;
                return true;
            }
        }
        header = [];
        return false;
    }

    public void Add(long scope, long messageId, byte[] header)
    {
        var entry = new Entry(new Key(scope, messageId), header);
        if (entry.Cost > MaxEntry)
            return;
        lock (gate)
        {
            if (map.ContainsKey(entry.Key))
                return;
            while (used + entry.Cost > BudgetBytes && lru.Last is { } oldest)
                RemoveNode(oldest);
            map[entry.Key] = lru.AddFirst(entry);
            used += entry.Cost;
        }
    }

    public void Remove(long scope, long messageId)
    {
        lock (gate)
        {
            if (map.TryGetValue(new Key(scope, messageId), out var node))
                RemoveNode(node);
        }
    }

    /// <summary>Drops every entry of one scope (a hub closing).</summary>
    public void RemoveScope(long scope)
    {
        lock (gate)
        {
            for (var node = lru.First; node is not null;)
            {
                var next = node.Next;
                if (node.Value.Key.Scope == scope)
                    RemoveNode(node);
                node = next;
            }
        }
    }

    void RemoveNode(LinkedListNode<Entry> node)
    {
        lru.Remove(node);
        map.Remove(node.Value.Key);
        used -= node.Value.Cost;
    }
}
