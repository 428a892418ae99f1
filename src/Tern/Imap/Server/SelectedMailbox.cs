using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>The session's view of its selected mailbox (RFC 9051 2.3.1): the message sequence as this session knows it,
/// which changes only when this session announces EXISTS or EXPUNGE, and the changes waiting to be announced.</summary>
public sealed class SelectedMailbox(MailboxInfo info, bool readOnly)
{
    readonly List<long> uids = [];
    readonly HashSet<long> recent = [];
    readonly Queue<MailboxChange> pending = new();
    readonly object gate = new();
    TaskCompletionSource changed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Id { get; } = info.Id;
    public string Name { get; set; } = info.Name;
    public uint UidValidity { get; } = info.UidValidity;
    public bool ReadOnly { get; } = readOnly;

    /// <summary>Set when another session deleted the mailbox; the session then says BYE (as Dovecot does).</summary>
    public bool Deleted { get; set; }

    /// <summary>RFC 5182: the UIDs saved by SEARCH RETURN (SAVE); null when nothing was saved.</summary>
    public IReadOnlyList<long>? SavedSearch { get; set; }

    /// <summary>The MODSEQs of this session's own STOREs, so their FETCH responses are not sent twice.</summary>
    public HashSet<long> OwnModSeqs { get; } = [];

    public int Count => uids.Count;
    public IReadOnlyList<long> Uids => uids;
    public long MaxUid => uids.Count == 0 ? 0 : uids[^1];
    public int RecentCount => recent.Count;
    public bool IsRecent(long uid) => recent.Contains(uid);

    public void Load(IEnumerable<long> sortedUids, long recentFrom)
    {
        uids.Clear();
        uids.AddRange(sortedUids);
        AddRecent(recentFrom);
    }

    /// <summary>Appends newly announced UIDs (greater than every known one).</summary>
    public void Append(IEnumerable<long> newUids, long recentFrom)
    {
        foreach (var u in newUids)
        {
            if (u > MaxUid)
                uids.Add(u);
        }
        AddRecent(recentFrom);
    }

    void AddRecent(long recentFrom)
    {
        for (int i = uids.Count - 1; i >= 0 && uids[i] >= recentFrom; i--)
            recent.Add(uids[i]);
    }

    /// <summary>1-based sequence number of a UID, or 0.</summary>
    public int SeqOf(long uid)
    {
        int i = uids.BinarySearch(uid);
        return i < 0 ? 0 : i + 1;
    }

    public long UidAt(int seq) => uids[seq - 1];

    /// <summary>Removes a message; returns its sequence number before removal (for "* n EXPUNGE"), or 0.</summary>
    public int Remove(long uid)
    {
        int i = uids.BinarySearch(uid);
        if (i < 0)
            return 0;
        uids.RemoveAt(i);
        recent.Remove(uid);
        return i + 1;
    }

    /// <summary>The UIDs a sequence set names: message numbers (RFC 9051 9 seq-number, "*" the last message) or UIDs
    /// ("*" the largest UID, and n:* includes it even when n is larger, RFC 9051 6.4.9), in ascending order.</summary>
    public List<long> Resolve(SequenceSet set, bool byUid)
    {
        if (set.IsSaved)
            return SavedSearch is null ? [] : SavedSearch.Where(u => SeqOf(u) > 0).ToList();
        var result = new SortedSet<long>();
        if (byUid)
        {
            if (uids.Count == 0)
                return [];
            uint largest = (uint)Math.Min(MaxUid, uint.MaxValue);
            foreach (var (first, last) in set.Resolve(largest))
            {
                int start = uids.BinarySearch(first);
                if (start < 0) start = ~start;
                for (int i = start; i < uids.Count && uids[i] <= last; i++)
                    result.Add(uids[i]);
            }
        }
        else
        {
            // RFC 9051 9 seq-number: a number beyond the mailbox is an error ("BAD" as Dovecot answers), also when empty.
            foreach (var (first, last) in set.Resolve((uint)uids.Count))
            {
                if (first > uids.Count || first == 0)
                    throw new ImapParseException("Invalid message sequence number");
                for (long s = first; s <= Math.Min(last, uids.Count); s++)
                    result.Add(uids[(int)s - 1]);
                if (last > uids.Count)
                    throw new ImapParseException("Invalid message sequence number");
            }
        }
        return [.. result];
    }

    // ---- changes from other sessions and delivery (raised on their threads) ----

    public void Enqueue(MailboxChange change)
    {
        TaskCompletionSource toSignal;
        lock (gate)
        {
            pending.Enqueue(change);
            toSignal = changed;
        }
        toSignal.TrySetResult();
    }

    public List<MailboxChange> TakePending()
    {
        lock (gate)
        {
            var list = pending.ToList();
            pending.Clear();
            if (changed.Task.IsCompleted)
                changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return list;
        }
    }

    /// <summary>Completes when a change arrives (IDLE waits on it).</summary>
    public Task WaitForChangeAsync()
    {
        lock (gate)
            return pending.Count > 0 ? Task.CompletedTask : changed.Task;
    }

    /// <summary>Expunges that could not be announced yet (during FETCH, STORE, SEARCH by sequence number).</summary>
    public List<long> DeferredExpunges { get; } = [];
}
