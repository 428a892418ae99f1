using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using Tern.Configuration;
using Tern.Delivery.Remote;
using Tern.Dns;

namespace Tern.Tests.Relay;

/// <summary>RFC 8461 3.3/5.1 discovery and caching, against the loopback DNS and HTTPS servers, without SMTP.</summary>
public sealed class MtaStsResolverTests : IDisposable
{
    readonly string data = Path.Combine(Path.GetTempPath(), "tern-mtasts-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        try { Directory.Delete(data, recursive: true); } catch (IOException) { }
    }

    /// <summary>A clock the test moves: max_age is checked against it, not against how long a busy machine took.</summary>
    sealed class ManualClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = DateTimeOffset.UtcNow;
        public override DateTimeOffset GetUtcNow() => Now;
    }

    MtaStsResolver Resolver(TlsPolicyFixture fixture, TimeProvider? clock = null)
    {
        var options = new TernOptions { DataDirectory = data };
        options.Dns.Servers.Add(fixture.Dns.EndPoint);
        options.Dns.TimeoutSeconds = 1;
        options.Relay.MtaStsHttpsPort = fixture.Https.Port;
        options.Relay.MtaStsFetchTimeoutSeconds = 5;
        options.Relay.TestingTrustedCaFile = fixture.Pki.CaFile;
        return new MtaStsResolver(options, new DnsLookup(options),
            new MtaStsFetcher(options, new MxResolver(options), new TlsTrust(options)), NullLogger<MtaStsResolver>.Instance, clock);
    }

    [Fact]
    public async Task Cached_policy_survives_a_restart_and_a_vanished_TXT_record_until_max_age()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        fixture.Publish("dest.test", "enforce", "one", 2, "mx.dest.test");

        var clock = new ManualClock();
        var policy = await Resolver(fixture, clock).GetPolicyAsync("dest.test", CancellationToken.None);
        Assert.Equal(MtaStsMode.Enforce, policy?.Mode);
        Assert.Equal(1, fixture.Https.Requests);

        // A new process (same data folder), the TXT record gone and the policy host down: the cached policy holds.
        fixture.Dns.RemoveTxt("_mta-sts.dest.test");
        fixture.Https.Policies.Clear();
        var restarted = Resolver(fixture, clock);
        clock.Now += TimeSpan.FromSeconds(1.9);
        Assert.Equal(["mx.dest.test"], (await restarted.GetPolicyAsync("dest.test", CancellationToken.None))?.MxPatterns);
        Assert.Equal(1, fixture.Https.Requests);

        // max_age (2 s) later it is gone.
        clock.Now += TimeSpan.FromSeconds(0.2);
        Assert.Null(await restarted.GetPolicyAsync("dest.test", CancellationToken.None));
    }

    [Fact]
    public async Task Expired_policy_is_fetched_again_even_with_the_same_id()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        fixture.Publish("dest.test", "testing", "one", 1, "mx.dest.test");
        var resolver = Resolver(fixture);

        Assert.NotNull(await resolver.GetPolicyAsync("dest.test", CancellationToken.None));
        await Task.Delay(TimeSpan.FromSeconds(1.2));
        Assert.NotNull(await resolver.GetPolicyAsync("dest.test", CancellationToken.None));
        Assert.Equal(2, fixture.Https.Requests);
    }

    [Fact]
    public async Task Policy_not_served_as_text_plain_is_not_used()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        fixture.Publish("dest.test", "enforce", "one", "mx.dest.test");
        fixture.Https.ContentType = "text/html";

        Assert.Null(await Resolver(fixture).GetPolicyAsync("dest.test", CancellationToken.None));
        Assert.False(File.Exists(Path.Combine(data, "mta-sts", "dest.test.json")));
    }

    [Fact]
    public async Task Several_STS_records_or_a_malformed_one_announce_no_policy()
    {
        await using var fixture = TlsPolicyFixture.Start("two.test", "bad.test");
        fixture.Publish("two.test", "enforce", "one", "mx.two.test");
        fixture.Dns.AddTxt("_mta-sts.two.test", "v=STSv1; id=two");
        fixture.Publish("bad.test", "enforce", "one", "mx.bad.test");
        fixture.Dns.RemoveTxt("_mta-sts.bad.test").AddTxt("_mta-sts.bad.test", "v=STSv1; id=not-valid!");
        var resolver = Resolver(fixture);

        Assert.Null(await resolver.GetPolicyAsync("two.test", CancellationToken.None));
        Assert.Null(await resolver.GetPolicyAsync("bad.test", CancellationToken.None));
        Assert.Equal(0, fixture.Https.Requests);
    }

    [Fact]
    public async Task Policy_host_with_an_untrusted_certificate_gives_no_policy()
    {
        await using var fixture = TlsPolicyFixture.Start("dest.test");
        fixture.Publish("dest.test", "enforce", "one", "mx.dest.test");
        var options = new TernOptions { DataDirectory = data };
        options.Dns.Servers.Add(fixture.Dns.EndPoint);
        options.Relay.MtaStsHttpsPort = fixture.Https.Port;
        // No testing CA: the test certificate does not verify.
        var fetcher = new MtaStsFetcher(options, new MxResolver(options), new TlsTrust(options));

        var result = await fetcher.FetchAsync("dest.test", CancellationToken.None);

        Assert.Null(result.Policy);
        Assert.Contains("untrusted certificate: the certificate of mta-sts.dest.test", result.Error, StringComparison.Ordinal);
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"https://mta-sts.dest.test:{fixture.Https.Port}/.well-known/mta-sts.txt"), fetcher.PolicyUri("dest.test").ToString());
    }
}
