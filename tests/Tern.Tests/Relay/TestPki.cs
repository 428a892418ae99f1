using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Tern.Tests.Relay;

/// <summary>A throw-away certificate authority for TLS policy tests: a root CA and leaf certificates for given host
/// names, written as PEM files into a temporary folder (for <c>Tls:CertificateFile</c> and
/// <c>Relay:TestingTrustedCaFile</c>).</summary>
public sealed class TestPki : IDisposable
{
    readonly X509Certificate2 ca;
    readonly ECDsa caKey;

    public TestPki()
    {
        Directory = Path.Combine(Path.GetTempPath(), "tern-pki-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(Directory);
        caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=Tern Test Root CA", caKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        ca = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
        CaFile = Path.Combine(Directory, "ca.pem");
        File.WriteAllText(CaFile, ca.ExportCertificatePem());
    }

    public string Directory { get; }

    /// <summary>The root CA certificate (PEM), for <c>Relay:TestingTrustedCaFile</c>.</summary>
    public string CaFile { get; }

    /// <summary>A leaf certificate for <paramref name="names"/> signed by the CA (or self-signed when
    /// <paramref name="selfSigned"/>), with its key.</summary>
    public X509Certificate2 Issue(string[] names, bool selfSigned = false)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=" + names[0], key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        foreach (var name in names)
            san.AddDnsName(name);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var notBefore = DateTimeOffset.UtcNow.AddDays(-1);
        var notAfter = DateTimeOffset.UtcNow.AddDays(10);
        if (selfSigned)
            return request.CreateSelfSigned(notBefore, notAfter);
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, true, false));
        var serial = new byte[12];
        RandomNumberGenerator.Fill(serial);
        using var signed = request.Create(ca.SubjectName, X509SignatureGenerator.CreateForECDsa(caKey), notBefore, notAfter, serial);
        return signed.CopyWithPrivateKey(key);
    }

    /// <summary>Writes a leaf certificate for <paramref name="names"/> as PEM files; returns (certificate, key) paths.</summary>
    public (string CertificateFile, string KeyFile) IssueFiles(string[] names, bool selfSigned = false)
    {
        using var cert = Issue(names, selfSigned);
        var stem = Path.Combine(Directory, names[0] + (selfSigned ? ".self" : "") + "-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(stem + ".crt", cert.ExportCertificatePem() + (selfSigned ? "" : "\n" + ca.ExportCertificatePem()));
        File.WriteAllText(stem + ".key", cert.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        return (stem + ".crt", stem + ".key");
    }

    public void Dispose()
    {
        ca.Dispose();
        caKey.Dispose();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
