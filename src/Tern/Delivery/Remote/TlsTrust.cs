using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Tern.Configuration;

namespace Tern.Delivery.Remote;

/// <summary>The verdict on one server certificate: valid for the host name and trusted, or why not (one line, kept with
/// the deferred recipient and put into the DSN).</summary>
public sealed record CertificateVerdict(bool Valid, string? Problem);

/// <summary>PKIX verification of server certificates for the relay (MX hosts under a TLS policy, MTA-STS policy hosts):
/// the system trust store, plus, for tests only, the CAs of <c>Relay:TestingTrustedCaFile</c>.</summary>
public sealed class TlsTrust
{
    readonly X509Certificate2Collection testingRoots = [];

    public TlsTrust(TernOptions options)
    {
        if (options.Relay.TestingTrustedCaFile is { Length: > 0 } file)
            testingRoots.ImportFromPemFile(Path.GetFullPath(file));
    }

    /// <summary>Judges what <see cref="SslStream"/> found (<paramref name="errors"/>: name and chain against the system
    /// store) and, when the chain failed, tries again with the testing roots.</summary>
    public CertificateVerdict Evaluate(X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors, string host)
    {
        if (certificate is null || (errors & SslPolicyErrors.RemoteCertificateNotAvailable) != 0)
            return new CertificateVerdict(false, $"{host} sent no certificate");
        // RFC 8461 4.2 / RFC 6125: the certificate must name the MX host (SslStream checks SAN dNSName, wildcards).
        if ((errors & SslPolicyErrors.RemoteCertificateNameMismatch) != 0)
            return new CertificateVerdict(false, $"certificate name mismatch: the certificate of {host} is for {NamesOf(certificate)}");
        if ((errors & SslPolicyErrors.RemoteCertificateChainErrors) != 0)
        {
            if (testingRoots.Count > 0 && ChainsToTestingRoot(certificate, chain))
                return new CertificateVerdict(true, null);
            var status = chain?.ChainStatus.Select(s => s.Status.ToString()).Distinct().ToList() ?? [];
            return new CertificateVerdict(false,
                $"untrusted certificate: the certificate of {host} ({NamesOf(certificate)}) does not verify" + (status.Count > 0 ? $" ({string.Join(", ", status)})" : ""));
        }
        return new CertificateVerdict(true, null);
    }

    bool ChainsToTestingRoot(X509Certificate certificate, X509Chain? presented)
    {
        using var leaf = new X509Certificate2(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(testingRoots);
        // Test CAs publish no revocation lists.
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (presented is not null)
        {
            foreach (var element in presented.ChainElements)
                chain.ChainPolicy.ExtraStore.Add(element.Certificate);
        }
        return chain.Build(leaf);
    }

    static string NamesOf(X509Certificate certificate)
    {
        using var cert = new X509Certificate2(certificate);
        var names = new List<string>();
        foreach (var extension in cert.Extensions)
        {
            if (extension is X509SubjectAlternativeNameExtension san)
                names.AddRange(san.EnumerateDnsNames());
        }
        return names.Count > 0 ? string.Join(", ", names) : cert.Subject;
    }
}
