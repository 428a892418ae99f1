using System.Globalization;
using Tern.Queue;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>The pieces of a TLS policy test: a loopback DNS server, a test CA, an HTTPS server for MTA-STS policy files
/// (its certificate for every <c>mta-sts.*</c> name the test uses), and the source's relay settings that trust the CA
/// and fetch policies from that server.</summary>
public sealed class TlsPolicyFixture : IAsyncDisposable
{
    TlsPolicyFixture(TestDnsServer dns, TestPki pki, PolicyHttpsServer https)
    {
        Dns = dns;
        Pki = pki;
        Https = https;
    }

    public TestDnsServer Dns { get; }
    public TestPki Pki { get; }
    public PolicyHttpsServer Https { get; }

    public static TlsPolicyFixture Start(params string[] policyDomains)
    {
        var pki = new TestPki();
        var https = PolicyHttpsServer.Start(pki.Issue(policyDomains.Select(d => "mta-sts." + d).ToArray()), "127.0.0.1");
        var dns = TestDnsServer.Start();
        foreach (var domain in policyDomains)
            dns.AddA("mta-sts." + domain, "127.0.0.1");
        return new TlsPolicyFixture(dns, pki, https);
    }

    /// <summary>Publishes a policy: the <c>_mta-sts</c> TXT record with <paramref name="id"/> and the policy file.</summary>
    public void Publish(string domain, string mode, string id = "id1", params string[] mx) => Publish(domain, mode, id, 86400, mx);

    public void Publish(string domain, string mode, string id, int maxAge, params string[] mx)
    {
        Dns.RemoveTxt("_mta-sts." + domain).AddTxt("_mta-sts." + domain, $"v=STSv1; id={id}");
        Https.Policies["mta-sts." + domain] =
            $"version: STSv1\r\nmode: {mode}\r\n{string.Concat(mx.Select(m => $"mx: {m}\r\n"))}max_age: {maxAge}\r\n";
    }

    /// <summary>The relay harness's fast settings plus the test CA and the policy server's port.</summary>
    public Dictionary<string, string?> SourceSettings(int relayPort)
    {
        var settings = RelayHarness.FastSettings(Dns, relayPort);
        settings["Relay:MtaStsHttpsPort"] = Https.Port.ToString(CultureInfo.InvariantCulture);
        settings["Relay:TestingTrustedCaFile"] = Pki.CaFile;
        settings["Relay:MtaStsFetchTimeoutSeconds"] = "5";
        return settings;
    }

    /// <summary>A destination Tern for <paramref name="users"/> whose port 25 presents <paramref name="certificateNames"/>
    /// (signed by the test CA, or self-signed).</summary>
    public async Task<TernTestServer> StartDestinationAsync(string[] certificateNames, bool selfSigned, params string[] users)
    {
        var (cert, key) = Pki.IssueFiles(certificateNames, selfSigned);
        var destination = await TernTestServer.StartAsync(new Dictionary<string, string?>
        {
            ["HostName"] = "mx.dest.test",
            ["Tls:CertificateFile"] = cert,
            ["Tls:KeyFile"] = key,
        });
        foreach (var user in users)
            await destination.AddUserAsync(user);
        return destination;
    }

    public static async Task<QueueRecipient> WaitForStateAsync(RelayHarness source, string id, RecipientState state, double seconds = 10)
    {
        QueueRecipient? recipient = null;
        await RelayHarness.WaitUntilAsync(async () => (recipient = (await source.EnvelopeAsync(id))?.Recipients[0])?.State == state,
            seconds, $"recipient {state}");
        return recipient!;
    }

    public async ValueTask DisposeAsync()
    {
        await Dns.DisposeAsync();
        await Https.DisposeAsync();
        Pki.Dispose();
    }
}
