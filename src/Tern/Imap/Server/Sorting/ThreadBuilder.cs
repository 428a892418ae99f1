using System.Runtime.InteropServices;
using System.Text;
using Tern.Store.Search;

namespace Tern.Imap.Server.Sorting;

/// <summary>A node of a THREAD result; a dummy (no message) stands for a message that is referenced but absent.</summary>
public sealed class ThreadNode(SortItem? item)
{
    static readonly List<ThreadNode> None = [];
    List<ThreadNode>? children; // most nodes of a big mailbox have none: no list for them

    public SortItem? Item { get; set; } = item;
    public ThreadNode? Parent { get; set; }
    public IReadOnlyList<ThreadNode> Children => ChildList;
    public bool IsDummy => Item is null;

    /// <summary>The children, for reading (an empty shared list when there are none) and sorting in place.</summary>
    internal List<ThreadNode> ChildList
    {
        get => children ?? None;
        set => children = value.Count == 0 ? null : value;
    }

    /// <summary>RFC 5256 3: a dummy sorts and is named by its first child.</summary>
    internal SortItem Representative => Item ?? children![0].Representative;

    internal void Adopt(ThreadNode child)
    {
        child.Parent = this;
        (children ??= []).Add(child);
    }

    internal void Remove(ThreadNode child) => children?.Remove(child);
}

/// <summary>RFC 5256 3: THREAD=ORDEREDSUBJECT and THREAD=REFERENCES, and the thread-list response syntax.</summary>
public static class ThreadBuilder
{
    static readonly Comparison<ThreadNode> ByDate = (a, b) =>
    {
        var x = a.Representative;
        var y = b.Representative;
        int c = x.SentDate.CompareTo(y.SentDate);
        return c != 0 ? c : x.Seq.CompareTo(y.Seq);
    };

    /// <summary>A node's place in date order: its (representative's) sent date, then sequence number (unique).</summary>
    readonly record struct DateKey(long Date, int Seq) : IComparable<DateKey>
    {
        public int CompareTo(DateKey other)
        {
            int c = Date.CompareTo(other.Date);
            return c != 0 ? c : Seq.CompareTo(other.Seq);
        }
    }

    /// <summary>Sorts siblings by <see cref="ByDate"/>; long lists with their keys taken out once (100,000 threads at
    /// the top level of a big mailbox).</summary>
    static void SortByDate(List<ThreadNode> nodes)
    {
        if (nodes.Count < 2)
            return;
        if (nodes.Count < 32)
        {
            nodes.Sort(ByDate);
            return;
        }
        var keys = new DateKey[nodes.Count];
        for (int i = 0; i < keys.Length; i++)
        {
            var item = nodes[i].Representative;
            keys[i] = new DateKey(item.SentDate, item.Seq);
        }
        keys.AsSpan().Sort(CollectionsMarshal.AsSpan(nodes));
    }

    /// <summary>ORDEREDSUBJECT: sorted by base subject then sent date; each run of one base subject is a thread whose
    /// first message is the parent of all the others; threads in order of their first message's sent date.</summary>
    public static List<ThreadNode> OrderedSubject(IEnumerable<SortItem> items)
    {
        var sorted = items.ToList();
        sorted.Sort((a, b) =>
        {
            int c = UnicodeCasemap.CompareFolded(a.BaseSubject, b.BaseSubject);
            if (c == 0) c = a.SentDate.CompareTo(b.SentDate);
            return c != 0 ? c : a.Seq.CompareTo(b.Seq);
        });
        var threads = new List<ThreadNode>();
        ThreadNode? current = null;
        foreach (var item in sorted)
        {
            if (current is not null && current.Item!.BaseSubject == item.BaseSubject)
            {
                current.Adopt(new ThreadNode(item));
                continue;
            }
            current = new ThreadNode(item);
            threads.Add(current);
        }
        SortByDate(threads);
        return threads;
    }

    /// <summary>REFERENCES: the algorithm of RFC 5256 3, steps 1 to 6. <paramref name="items"/> in sequence order.</summary>
    public static List<ThreadNode> References(IReadOnlyList<SortItem> items)
    {
        var byId = new Dictionary<string, ThreadNode>(items.Count, StringComparer.Ordinal); // RFC 5256: Message IDs compare case-sensitively
        var containers = new List<ThreadNode>(items.Count);
        ThreadNode Lookup(string id)
        {
            if (!byId.TryGetValue(id, out var node))
            {
                // (1) A referenced message that is not here becomes a dummy, shared by every later reference.
                byId[id] = node = new ThreadNode(null);
                containers.Add(node);
            }
            return node;
        }

        for (int n = 0; n < items.Count; n++)
        {
            var item = items[n];
            ThreadNode node;
            var id = item.Data.MessageId;
            ThreadNode? existing = null;
            if (id is not null)
            {
                ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(byId, id, out bool found);
                existing = slot;
                if (found && existing!.IsDummy)
                    (node = existing).Item = item;
                else
                {
                    // A duplicate of an earlier message's Message-ID: a unique one (only the first keeps the ID).
                    node = new ThreadNode(item);
                    containers.Add(node);
                    if (!found)
                        slot = node;
                }
            }
            else
            {
                // No Message-ID: a unique one.
                node = new ThreadNode(item);
                containers.Add(node);
            }
            var references = item.Data.References;
            // (1A) Link each reference to the next, unless the child already has a parent or a loop would result.
            ThreadNode? previous = null;
            if (references.Count > 0)
            {
                for (int r = 0; r < references.Count; r++)
                {
                    var container = Lookup(references[r]);
                    if (previous is not null && container.Parent is null && !WouldLoop(previous, container))
                        previous.Adopt(container);
                    previous = container;
                }
            }
            else if (item.Data.InReplyTo is { } inReplyTo)
                previous = Lookup(inReplyTo);
            // (1B) The last reference is the parent; an existing parent (a truncated References) gives way.
            if (previous is not null && node.Parent != previous && !WouldLoop(previous, node))
            {
                node.Parent?.Remove(node);
                previous.Adopt(node);
            }
        }

        // (2) Parentless messages become children of a root.
        var root = new ThreadNode(null);
        foreach (var c in containers)
            if (c.Parent is null)
                root.Adopt(c);

        // (3) Prune dummies.
        Prune(root);

        // (4) Sort the top level by sent date; a dummy by its first child, after sorting its children.
        foreach (var top in root.ChildList)
            if (top.IsDummy)
                SortByDate(top.ChildList);
        SortByDate(root.ChildList);

        // (5) Merge top-level threads with the same base subject.
        var subjects = new Dictionary<string, ThreadNode>(root.ChildList.Count, StringComparer.Ordinal);
        foreach (var top in root.ChildList)
        {
            var subject = top.Representative.BaseSubject;
            if (subject.Length == 0)
                continue;
            if (!subjects.TryGetValue(subject, out var entry))
                subjects[subject] = top;
            else if (!entry.IsDummy && (top.IsDummy || (entry.Representative.IsReplyOrForward && !top.Representative.IsReplyOrForward)))
                subjects[subject] = top;
        }
        var topLevel = root.ChildList.ToList();
        var created = new List<ThreadNode>();
        foreach (var current in topLevel)
        {
            if (current.Parent != root)
                continue; // already merged under another
            var subject = current.Representative.BaseSubject;
            if (subject.Length == 0 || !subjects.TryGetValue(subject, out var entry) || entry == current)
                continue;
            if (entry.IsDummy && current.IsDummy)
            {
                foreach (var child in current.ChildList)
                    entry.Adopt(child);
                current.ChildList = [];
                current.Parent = null;
            }
            else if (entry.IsDummy || (current.Representative.IsReplyOrForward && !entry.Representative.IsReplyOrForward && !current.IsDummy))
                entry.Adopt(current);
            else
            {
                var dummy = new ThreadNode(null) { Parent = root };
                entry.Parent = null;
                dummy.Adopt(entry);
                dummy.Adopt(current);
                subjects[subject] = dummy;
                created.Add(dummy);
            }
        }
        root.ChildList = topLevel.Concat(created).Where(n => n.Parent == root).ToList();

        // (6) Sort every set of siblings by sent date, deepest first (a dummy sorts by its first child).
        var order = new List<ThreadNode>();
        var stack = new Stack<ThreadNode>();
        stack.Push(root);
        while (stack.Count > 0)
        {
            var n = stack.Pop();
            order.Add(n);
            foreach (var c in n.ChildList)
                if (c.ChildList.Count > 0)
                    stack.Push(c);
        }
        for (int i = order.Count - 1; i >= 0; i--)
            SortByDate(order[i].ChildList);
        return root.ChildList.Count == 0 ? [] : root.ChildList;
    }

    /// <summary>True when making <paramref name="parent"/> the parent of <paramref name="child"/> would make a loop.</summary>
    static bool WouldLoop(ThreadNode parent, ThreadNode child)
    {
        for (var p = parent; p is not null; p = p.Parent)
            if (p == child)
                return true;
        return false;
    }

    /// <summary>RFC 5256 3 (3): a dummy without children goes; a dummy with children is replaced by them, except that
    /// children are not promoted to the top level unless there is only one.</summary>
    static void Prune(ThreadNode root)
    {
        var work = new Stack<ThreadNode>();
        work.Push(root);
        while (work.Count > 0)
        {
            var parent = work.Pop();
            // Most messages have no dummy among their children (all of them, in a mailbox without references).
            bool dummies = false;
            foreach (var c in parent.ChildList)
                dummies |= c.IsDummy;
            if (!dummies)
            {
                foreach (var c in parent.ChildList)
                {
                    c.Parent = parent;
                    if (c.ChildList.Count > 0)
                        work.Push(c);
                }
                continue;
            }
            var kept = new List<ThreadNode>(parent.ChildList.Count);
            var pending = new Stack<ThreadNode>();
            for (int i = parent.ChildList.Count - 1; i >= 0; i--)
                pending.Push(parent.ChildList[i]);
            while (pending.Count > 0)
            {
                var c = pending.Pop();
                if (c.IsDummy && c.ChildList.Count == 0)
                    continue;
                if (c.IsDummy && (parent != root || c.ChildList.Count == 1))
                {
                    for (int i = c.ChildList.Count - 1; i >= 0; i--)
                        pending.Push(c.ChildList[i]);
                    continue;
                }
                c.Parent = parent;
                kept.Add(c);
                work.Push(c);
            }
            parent.ChildList = kept;
        }
    }

    /// <summary>RFC 5256 4: thread-list. A node with one child is followed by it ("1 2"); a node with several is followed
    /// by each in parentheses ("1 (2)(3)"); a dummy writes only its children. Iterative: threads can be very deep.</summary>
    public static string Format(IReadOnlyList<ThreadNode> threads, bool byUid)
    {
        var sb = new StringBuilder(16 + threads.Count * 10);
        sb.Append("* THREAD");
        if (threads.Count > 0)
            sb.Append(' ');
        // A null node closes a parenthesis; a wrapped node opens one before it is written.
        var stack = new Stack<(ThreadNode? Node, bool Wrapped)>(threads.Count * 2);
        for (int i = threads.Count - 1; i >= 0; i--)
        {
            stack.Push((null, false));
            stack.Push((threads[i], true));
        }
        while (stack.Count > 0)
        {
            var (node, wrapped) = stack.Pop();
            if (node is null)
            {
                sb.Append(')');
                continue;
            }
            if (wrapped)
                sb.Append('(');
            var children = node.ChildList;
            if (!node.IsDummy)
            {
                sb.Append(byUid ? node.Item!.Uid : node.Item!.Seq);
                if (children.Count > 0)
                    sb.Append(' ');
            }
            if (children.Count == 1)
                stack.Push((children[0], false));
            else
            {
                for (int i = children.Count - 1; i >= 0; i--)
                {
                    stack.Push((null, false));
                    stack.Push((children[i], true));
                }
            }
        }
        return sb.ToString();
    }
}
