using System.Globalization;

namespace Tern.Bench.Measure;

/// <summary>Resident memory of a server: the sum over its process and every descendant (Postfix and Dovecot are
/// many processes; Tern is one).</summary>
/// <param name="RssBytes">Sum of VmRSS (/proc/PID/status). Pages shared between processes count once per process,
/// so for a multi-process server this is an upper bound.</param>
/// <param name="PssBytes">Sum of Pss (/proc/PID/smaps_rollup): shared pages divided among the processes that share
/// them, which is the fair figure for a multi-process server; 0 when the kernel does not tell.</param>
public sealed record MemorySnapshot(long RssBytes, long PssBytes, int Processes)
{
    public static readonly MemorySnapshot None = new(0, 0, 0);
    public static MemorySnapshot Max(MemorySnapshot a, MemorySnapshot b) =>
        new(Math.Max(a.RssBytes, b.RssBytes), Math.Max(a.PssBytes, b.PssBytes), Math.Max(a.Processes, b.Processes));
}

public static class ProcessMemory
{
    /// <summary>Memory of the processes <paramref name="roots"/> and all their descendants, now.</summary>
    public static MemorySnapshot Measure(IReadOnlyCollection<int> roots)
    {
        if (roots.Count == 0)
            return MemorySnapshot.None;
        var tree = Descendants(roots);
        long rss = 0, pss = 0;
        int count = 0;
        foreach (var pid in tree)
        {
            var r = ReadKb($"/proc/{pid}/status", "VmRSS:");
            if (r < 0)
                continue; // exited meanwhile
            rss += r * 1024;
            var p = ReadKb($"/proc/{pid}/smaps_rollup", "Pss:");
            if (p > 0)
                pss += p * 1024;
            count++;
        }
        return new MemorySnapshot(rss, pss, count);
    }

    /// <summary>The processes under <paramref name="root"/> whose command name is <paramref name="name"/>.</summary>
    public static IReadOnlyCollection<int> DescendantsNamed(int root, string name) =>
        Descendants([root]).Where(pid => CommandOf(pid) == name).ToArray();

    static string? CommandOf(int pid)
    {
        try { return File.ReadAllText($"/proc/{pid}/comm").Trim(); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException) { return null; }
    }

    static HashSet<int> Descendants(IReadOnlyCollection<int> roots)
    {
        var result = new HashSet<int>(roots);
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid))
                continue;
            int ppid = ParentOf(pid);
            if (ppid <= 0)
                continue;
            if (!children.TryGetValue(ppid, out var list))
                children[ppid] = list = [];
            list.Add(pid);
        }
        var pending = new Queue<int>(roots);
        while (pending.TryDequeue(out int pid))
        {
            if (!children.TryGetValue(pid, out var list))
                continue;
            foreach (var child in list)
            {
                if (result.Add(child))
                    pending.Enqueue(child);
            }
        }
        return result;
    }

    static int ParentOf(int pid)
    {
        try
        {
            // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so parse after the last ')'.
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            int close = stat.LastIndexOf(')');
            var fields = stat[(close + 2)..].Split(' ');
            return int.Parse(fields[1], CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
        {
            return -1;
        }
    }

    static long ReadKb(string file, string key)
    {
        try
        {
            foreach (var line in File.ReadLines(file))
            {
                if (!line.StartsWith(key, StringComparison.Ordinal))
                    continue;
                var value = line[key.Length..].Trim();
                int space = value.IndexOf(' ');
                return long.Parse(space < 0 ? value : value[..space], CultureInfo.InvariantCulture);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return -1;
    }
}

/// <summary>Samples a server's memory in the background while a workload runs and keeps the peak.</summary>
public sealed class MemorySampler : IAsyncDisposable
{
    readonly Func<IReadOnlyCollection<int>> roots;
    readonly CancellationTokenSource stop = new();
    readonly Task loop;
    MemorySnapshot peak = MemorySnapshot.None;

    public MemorySampler(Func<IReadOnlyCollection<int>> roots, TimeSpan interval)
    {
        this.roots = roots;
        loop = Task.Run(async () =>
        {
            using var timer = new PeriodicTimer(interval);
            do
            {
                Sample();
            }
            while (await WaitAsync(timer));
        });
    }

    async Task<bool> WaitAsync(PeriodicTimer timer)
    {
        try { return await timer.WaitForNextTickAsync(stop.Token); }
        catch (OperationCanceledException) { return false; }
    }

    void Sample()
    {
        var now = ProcessMemory.Measure(roots());
        lock (stop)
            peak = MemorySnapshot.Max(peak, now);
    }

    /// <summary>Stops sampling (after one last sample) and returns the peak.</summary>
    public async Task<MemorySnapshot> StopAsync()
    {
        await stop.CancelAsync();
        await loop;
        Sample();
        lock (stop)
            return peak;
    }

    public async ValueTask DisposeAsync()
    {
        if (!stop.IsCancellationRequested)
            await StopAsync();
        stop.Dispose();
    }
}
