using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using DnsClient;
using Microsoft.Extensions.Logging;
using Tern.Configuration;
using Tern.Dns;
using Tern.IO;

namespace Tern.Delivery.Remote;

/// <summary>RFC 8461 5.1 policy discovery with a durable cache: the <c>_mta-sts</c> TXT record is looked up for every
/// route; the policy file is fetched only when nothing valid is cached or the TXT id changed, and a cached policy is
/// used until its max_age runs out, also while the TXT record or the policy host are unreachable.</summary>
/// <remarks>Cache: one JSON file per domain in <c>data/mta-sts/</c> (id, fetch time, policy text), written atomically.
/// RFC 8461 3.3/5.1: when a TXT record exists but no policy can be fetched and none is cached, delivery goes on as if the
/// domain had no policy (that is the point of trust on first use, and of the cache).</remarks>
public sealed class MtaStsResolver
{
    readonly TernOptions options;
    readonly DnsLookup dns;
    readonly MtaStsFetcher fetcher;
    readonly ILogger<MtaStsResolver> logger;
    readonly string directory;
    readonly ConcurrentDictionary<string, SemaphoreSlim> locks = new(StringComparer.Ordinal);
    readonly TimeProvider time;

    /// <param name="time">The clock that max_age runs on; the system clock unless a test gives its own.</param>
    public MtaStsResolver(TernOptions options, DnsLookup dns, MtaStsFetcher fetcher, ILogger<MtaStsResolver> logger, TimeProvider? time = null)
    {
        this.time = time ?? TimeProvider.System;
        this.options = options;
        this.dns = dns;
        this.fetcher = fetcher;
        this.logger = logger;
        directory = options.ResolveDataPath("mta-sts");
    }

    /// <summary>Policy fetches so far in this process (tests check the cache with it).</summary>
    public int Fetches => Volatile.Read(ref fetches);
    int fetches;

    /// <summary>The policy that applies to <paramref name="domain"/> now, or null when it has none (or MTA-STS is off).</summary>
    public async Task<MtaStsPolicy?> GetPolicyAsync(string domain, CancellationToken cancellationToken)
    {
        if (!options.Relay.MtaStsEnabled || domain.StartsWith('['))
            return null;
        domain = domain.TrimEnd('.').ToLowerInvariant();
        var gate = locks.GetOrAdd(domain, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await DiscoverAsync(domain, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }

    async Task<MtaStsPolicy?> DiscoverAsync(string domain, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var cached = Load(domain);
        if (cached is not null && cached.Expires <= now)
            cached = null;
        var cachedPolicy = cached is not null && MtaStsPolicy.TryParse(cached.Policy, out var p, out _) ? p : null;

        var txt = await dns.QueryAsync("_mta-sts." + domain, QueryType.TXT, cancellationToken).ConfigureAwait(false);
        if (txt.Status == DnsLookupStatus.Error)
        {
            // RFC 8461 5.1: DNS trouble does not remove a cached policy.
            MtaStsLog.TxtFailed(logger, domain, txt.Error ?? "");
            return cachedPolicy;
        }
        var records = txt.Texts.Where(MtaStsPolicy.IsStsRecord).ToList();
        if (records.Count != 1)
        {
            // RFC 8461 3.1: no record, or several, means "no policy announced"; a cached one still holds until max_age.
            if (records.Count > 1)
                MtaStsLog.TxtInvalid(logger, domain, "several v=STSv1 records");
            return cachedPolicy;
        }
        if (!MtaStsPolicy.TryParseTxt(records[0], out var id, out var txtError))
        {
            MtaStsLog.TxtInvalid(logger, domain, txtError);
            return cachedPolicy;
        }
        if (cached is not null && cachedPolicy is not null && cached.Id == id)
            return cachedPolicy;

        // RFC 8461 3.3: a new id (or nothing valid cached): fetch the policy.
        Interlocked.Increment(ref fetches);
        var fetched = await fetcher.FetchAsync(domain, cancellationToken).ConfigureAwait(false);
        if (fetched.Policy is null)
        {
            MtaStsLog.FetchFailed(logger, domain, fetched.Error ?? "");
            return cachedPolicy;
        }
        MtaStsLog.Fetched(logger, domain, id, fetched.Policy.Describe());
        Save(domain, new CachedPolicy(id, now, now.AddSeconds(fetched.Policy.MaxAgeSeconds), fetched.Policy.Format()));
        return fetched.Policy;
    }

    string PathOf(string domain) => Path.Combine(directory, domain + ".json");

    CachedPolicy? Load(string domain)
    {
        var path = PathOf(domain);
        try
        {
            if (!File.Exists(path))
                return null;
            return JsonSerializer.Deserialize(File.ReadAllBytes(path), MtaStsJsonContext.Default.CachedPolicy);
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            // A damaged cache entry is as good as none: the policy is fetched again.
            MtaStsLog.CacheUnreadable(logger, path, ex.Message);
            return null;
        }
    }

    void Save(string domain, CachedPolicy entry)
    {
        try
        {
            Directory.CreateDirectory(directory);
            Durable.WriteFileAtomically(PathOf(domain), stream => JsonSerializer.Serialize(stream, entry, MtaStsJsonContext.Default.CachedPolicy));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            MtaStsLog.CacheUnreadable(logger, PathOf(domain), ex.Message);
        }
    }
}

/// <summary>One cached policy: the TXT id it was fetched for, when, until when it holds (fetch time + max_age), and the
/// policy text as published.</summary>
public sealed record CachedPolicy(string Id, DateTimeOffset Fetched, DateTimeOffset Expires, string Policy);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(CachedPolicy))]
internal sealed partial class MtaStsJsonContext : JsonSerializerContext;

/// <summary>Typed log events of MTA-STS (event ids 2350-2369).</summary>
static partial class MtaStsLog
{
    [LoggerMessage(2350, LogLevel.Information, "MTA-STS policy of {Domain} (id {Id}) fetched: {Policy}")]
    public static partial void Fetched(ILogger logger, string domain, string id, string policy);

    [LoggerMessage(2351, LogLevel.Warning, "MTA-STS policy of {Domain} could not be fetched: {Reason}")]
    public static partial void FetchFailed(ILogger logger, string domain, string reason);

    [LoggerMessage(2352, LogLevel.Warning, "MTA-STS record of {Domain} ignored: {Reason}")]
    public static partial void TxtInvalid(ILogger logger, string domain, string reason);

    [LoggerMessage(2353, LogLevel.Warning, "MTA-STS lookup for {Domain}: {Reason}")]
    public static partial void TxtFailed(ILogger logger, string domain, string reason);

    [LoggerMessage(2354, LogLevel.Warning, "MTA-STS cache file {Path}: {Reason}")]
    public static partial void CacheUnreadable(ILogger logger, string path, string reason);

    [LoggerMessage(2355, LogLevel.Warning, "MTA-STS policy of {Domain} in testing mode: delivery via {Host} would fail in enforce mode: {Reason}")]
    public static partial void TestingViolation(ILogger logger, string domain, string host, string reason);
}
