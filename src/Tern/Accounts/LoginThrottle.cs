using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Tern.Configuration;

namespace Tern.Accounts;

/// <summary>Counts failed logins per client address. <see cref="AuthOptions.MaxFailuresPerIp"/> failures within
/// <see cref="AuthOptions.LockoutSeconds"/> lock the client out for <see cref="AuthOptions.LockoutSeconds"/>; a
/// successful login clears its count. Shared by every protocol, so guessing cannot move from IMAP to POP3.</summary>
/// <remarks>IPv6 clients are counted per /64, the block one subscriber usually holds: counting single addresses
/// would give an attacker 2^64 fresh budgets. Memory is bounded: expired entries are pruned, and past
/// <see cref="MaxEntries"/> clients the ones not locked out are forgotten first.</remarks>
public sealed class LoginThrottle
{
    /// <summary>Clients tracked at once before older entries are dropped.</summary>
    public const int MaxEntries = 100_000;

    const int PruneEvery = 1024;

    readonly ConcurrentDictionary<IPAddress, Entry> entries = new();
    readonly TimeProvider time;
    readonly int maxFailures;
    readonly TimeSpan window;
    int operationsSincePrune;

    public LoginThrottle(TernOptions options, TimeProvider time)
    {
        this.time = time;
        maxFailures = Math.Max(1, options.Auth.MaxFailuresPerIp);
        window = TimeSpan.FromSeconds(Math.Max(0, options.Auth.LockoutSeconds));
    }

    /// <summary>Clients currently tracked (for tests and metrics).</summary>
    public int Count => entries.Count;

    /// <summary>True while the client is locked out; <paramref name="until"/> says until when.</summary>
    public bool IsLockedOut(IPAddress? client, out DateTimeOffset until)
    {
        until = default;
        if (client is null || !entries.TryGetValue(Key(client), out var entry))
            return false;
        var now = time.GetUtcNow();
        lock (entry)
        {
            if (entry.LockedUntil > now)
            {
                until = entry.LockedUntil;
                return true;
            }
            return false;
        }
    }

    public bool IsLockedOut(IPAddress? client) => IsLockedOut(client, out _);

    /// <summary>Counts a failure; returns true when this failure locked the client out.</summary>
    /// <remarks>A client without an address (not a socket) is not counted, but still gets the failure delay.</remarks>
    public bool RecordFailure(IPAddress? client, out int failures)
    {
        failures = 0;
        if (client is null)
            return false;
        MaybePrune();
        var now = time.GetUtcNow();
        var entry = entries.GetOrAdd(Key(client), _ => new Entry());
        lock (entry)
        {
            if (entry.LockedUntil > now)
            {
                failures = entry.Failures;
                return false;
            }
            if (entry.Failures == 0 || now - entry.WindowStart >= window)
            {
                entry.WindowStart = now;
                entry.Failures = 0;
            }
            failures = ++entry.Failures;
            if (entry.Failures >= maxFailures)
            {
                entry.LockedUntil = now + window;
                return true;
            }
            return false;
        }
    }

    public bool RecordFailure(IPAddress? client) => RecordFailure(client, out _);

    public void RecordSuccess(IPAddress? client)
    {
        if (client is not null)
            entries.TryRemove(Key(client), out _);
    }

    /// <summary>Drops entries whose window and lockout have both passed; past <see cref="MaxEntries"/>, also the
    /// ones not locked out.</summary>
    public void Prune()
    {
        var now = time.GetUtcNow();
        foreach (var (key, entry) in entries)
        {
            bool expired;
            lock (entry)
                expired = entry.LockedUntil <= now && now - entry.WindowStart >= window;
            if (expired)
                entries.TryRemove(key, out _);
        }
        if (entries.Count <= MaxEntries)
            return;
        foreach (var (key, entry) in entries)
        {
            bool locked;
            lock (entry)
                locked = entry.LockedUntil > now;
            if (!locked)
                entries.TryRemove(key, out _);
        }
    }

    void MaybePrune()
    {
        if (Interlocked.Increment(ref operationsSincePrune) % PruneEvery == 0 || entries.Count >= MaxEntries)
            Prune();
    }

    static IPAddress Key(IPAddress client)
    {
        if (client.IsIPv4MappedToIPv6)
            return client.MapToIPv4();
        if (client.AddressFamily != AddressFamily.InterNetworkV6)
            return client;
        Span<byte> bytes = stackalloc byte[16];
        client.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    sealed class Entry
    {
        public int Failures;
        public DateTimeOffset WindowStart;
        public DateTimeOffset LockedUntil;
    }
}
