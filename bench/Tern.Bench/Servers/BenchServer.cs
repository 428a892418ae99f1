using System.Net.Sockets;
using Tern.Bench.Measure;

namespace Tern.Bench.Servers;

/// <summary>A server the harness starts, measures and stops: Tern, Postfix, Dovecot or smtp-sink.</summary>
public abstract class BenchServer : IAsyncDisposable
{
    public const string Password = "bench-password-1";
    public const string Host = "127.0.0.1";

    public abstract string Name { get; }

    /// <summary>Why the server is not there (not installed, failed to start); null when it runs.</summary>
    public string? Missing { get; protected set; }

    /// <summary>Marks the server missing before it is started (its files could not be prepared).</summary>
    public void MarkMissing(string reason) => Missing ??= reason;

    /// <summary>Where the server reports its set-up steps (the harness prints them with the time).</summary>
    public Action<string> Progress { get; set; } = _ => { };

    /// <summary>"Postfix 3.7.11" and the like, for the machine section of the results.</summary>
    public string? Version { get; protected set; }

    /// <summary>The port of a protocol on 127.0.0.1, or null when this server does not speak it.</summary>
    public abstract int? PortOf(BenchService service);

    /// <summary>The processes whose trees make up the server, for memory sampling.</summary>
    public abstract IReadOnlyCollection<int> ProcessIds { get; }

    /// <summary>Starts the server with these users and their INBOX contents. A failure sets <see cref="Missing"/>
    /// instead of throwing, so that the other servers' rows are still measured.</summary>
    public abstract Task StartAsync(IReadOnlyList<MailboxSpec> mailboxes, CancellationToken cancellationToken);

    /// <summary>Waits until the server has finished the background work a workload left (a queue being delivered),
    /// so that the next round, against the other server, does not share the CPU with it.</summary>
    public virtual Task WaitUntilQuietAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public abstract Task StopAsync();

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        GC.SuppressFinalize(this);
    }

    public MemorySnapshot Memory() => ProcessMemory.Measure(ProcessIds);

    /// <summary>Whether something accepts TCP connections on 127.0.0.1:<paramref name="port"/>.</summary>
    public static async Task<bool> AnswersAsync(int port, TimeSpan timeout)
    {
        using var client = new TcpClient();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await client.ConnectAsync(Host, port, cts.Token);
            return true;
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Waits for every port to answer; false if the time runs out or <paramref name="alive"/> turns false.</summary>
    public static async Task<bool> WaitForPortsAsync(IEnumerable<int> ports, TimeSpan timeout, Func<bool> alive, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        var pending = ports.ToList();
        while (pending.Count > 0)
        {
            if (!alive() || DateTime.UtcNow > deadline)
                return false;
            var answered = new List<int>();
            foreach (var port in pending)
            {
                if (await AnswersAsync(port, TimeSpan.FromMilliseconds(500)))
                    answered.Add(port);
            }
            pending.RemoveAll(answered.Contains);
            if (pending.Count > 0)
                await Task.Delay(100, cancellationToken);
        }
        return true;
    }
}
