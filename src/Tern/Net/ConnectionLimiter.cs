using System.Collections.Concurrent;
using System.Net;
using Tern.Configuration;

namespace Tern.Net;

/// <summary>Global and per-client-address connection counts over every mail listener.</summary>
public sealed class ConnectionLimiter(TernOptions options)
{
    readonly ConcurrentDictionary<IPAddress, int> perAddress = new();
    readonly Lock gate = new();
    int total;

    public int Current => Volatile.Read(ref total);

    /// <summary>A lease to dispose when the connection ends; null with the reason when a limit is reached.</summary>
    public IDisposable? TryAcquire(IPAddress? address, out string? reason)
    {
        lock (gate)
        {
            if (total >= options.Limits.MaxConnections)
            {
                reason = $"too many connections ({options.Limits.MaxConnections}, Limits:MaxConnections)";
                return null;
            }
            if (address is not null)
            {
                perAddress.TryGetValue(address, out int count);
                if (count >= options.Limits.MaxConnectionsPerIp)
                {
                    reason = $"too many connections from {address} ({options.Limits.MaxConnectionsPerIp}, Limits:MaxConnectionsPerIp)";
                    return null;
                }
                perAddress[address] = count + 1;
            }
            total++;
        }
        reason = null;
        return new Lease(this, address);
    }

    void Release(IPAddress? address)
    {
        lock (gate)
        {
            total--;
            if (address is not null && perAddress.TryGetValue(address, out int count))
            {
                if (count <= 1) perAddress.TryRemove(address, out _);
                else perAddress[address] = count - 1;
            }
        }
    }

    sealed class Lease(ConnectionLimiter owner, IPAddress? address) : IDisposable
    {
        int disposed;
        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0)
                owner.Release(address);
        }
    }
}
