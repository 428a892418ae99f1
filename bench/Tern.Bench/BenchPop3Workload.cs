using System.Diagnostics;
using System.Globalization;

namespace Tern.Bench;

/// <summary>POP3 workloads of the harness (RFC 1939), with a client of its own over a plain socket.</summary>
public static class BenchPop3Workload
{
    /// <summary>USER/PASS, STAT, RETR of every message, QUIT (nothing deleted).</summary>
    /// <returns>Megabytes (10^6 octets) per second of RETR responses, login excluded.</returns>
    public static async Task<double> RetrieveAllAsync(BenchTarget target, CancellationToken cancellationToken)
    {
        await using var client = await LoginAsync(target, cancellationToken);
        var stat = await CommandAsync(client, "STAT", cancellationToken);
        int count = int.Parse(stat.Split(' ')[1], CultureInfo.InvariantCulture);
        if (count == 0)
            throw new InvalidOperationException("the maildrop is empty");
        long bytes = 0;
        var watch = Stopwatch.StartNew();
        for (int i = 1; i <= count; i++)
        {
            await CommandAsync(client, $"RETR {i}", cancellationToken);
            bytes += await client.ReadDotTerminatedAsync(cancellationToken);
        }
        watch.Stop();
        await CommandAsync(client, "QUIT", cancellationToken);
        return bytes / 1e6 / watch.Elapsed.TotalSeconds;
    }

    /// <summary>The mail client's check: connect, USER/PASS, LIST and UIDL of the whole maildrop, QUIT.</summary>
    /// <returns>Milliseconds for the whole session.</returns>
    public static async Task<double> ListAndUidlAsync(BenchTarget target, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        await using (var client = await LoginAsync(target, cancellationToken))
        {
            await CommandAsync(client, "LIST", cancellationToken);
            var list = await client.ReadDotTerminatedAsync(cancellationToken);
            await CommandAsync(client, "UIDL", cancellationToken);
            var uidl = await client.ReadDotTerminatedAsync(cancellationToken);
            if (list == 0 || uidl == 0)
                throw new InvalidOperationException("LIST or UIDL returned no message");
            await CommandAsync(client, "QUIT", cancellationToken);
        }
        return watch.Elapsed.TotalMilliseconds;
    }

    static async Task<BenchLineClient> LoginAsync(BenchTarget target, CancellationToken cancellationToken)
    {
        var client = await BenchLineClient.ConnectAsync(target.Host, target.Port, cancellationToken);
        try
        {
            var greeting = await client.ReadLineAsync(cancellationToken);
            if (!greeting.StartsWith("+OK", StringComparison.Ordinal))
                throw new InvalidOperationException($"POP3 greeting: {greeting}");
            await CommandAsync(client, $"USER {target.User}", cancellationToken);
            await CommandAsync(client, $"PASS {target.Password}", cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    static async Task<string> CommandAsync(BenchLineClient client, string command, CancellationToken cancellationToken)
    {
        await client.WriteAsync(command + "\r\n", cancellationToken);
        var reply = await client.ReadLineAsync(cancellationToken);
        if (!reply.StartsWith("+OK", StringComparison.Ordinal))
            throw new InvalidOperationException($"POP3 {command.Split(' ')[0]}: {reply}");
        return reply;
    }
}
