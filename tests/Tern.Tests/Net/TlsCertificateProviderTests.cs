using Microsoft.Extensions.Logging.Abstractions;
using Tern.Configuration;
using Tern.Net;

namespace Tern.Tests.Net;

public sealed class TlsCertificateProviderTests : IDisposable
{
    readonly string dir = Path.Combine(Path.GetTempPath(), "tern-tls-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(dir))
            Directory.Delete(dir, true);
    }

    TernOptions Options(string? cert = null, string? key = null) => new()
    {
        DataDirectory = dir,
        HostName = "mail.tls.test",
        Tls = new TlsOptions { CertificateFile = cert, KeyFile = key, ReloadCheckSeconds = 1 },
    };

    [Fact]
    public void Configured_pem_files_are_loaded()
    {
        var cert = Path.Combine(dir, "c.pem");
        var key = Path.Combine(dir, "k.pem");
        TlsCertificateProvider.GenerateSelfSigned("configured.test", cert, key);
        var provider = new TlsCertificateProvider(Options(cert, key), NullLogger<TlsCertificateProvider>.Instance);
        Assert.Equal("CN=configured.test", provider.GetCertificate().Subject);
        Assert.True(provider.GetCertificate().HasPrivateKey);
        Assert.False(File.Exists(Path.Combine(dir, "tls", "cert.pem")));
    }

    [Fact]
    public async Task A_renewed_certificate_file_is_picked_up_without_a_restart()
    {
        var cert = Path.Combine(dir, "c.pem");
        var key = Path.Combine(dir, "k.pem");
        TlsCertificateProvider.GenerateSelfSigned("old.test", cert, key);
        var provider = new TlsCertificateProvider(Options(cert, key), NullLogger<TlsCertificateProvider>.Instance);
        Assert.Equal("CN=old.test", provider.GetCertificate().Subject);

        await Task.Delay(1100);
        TlsCertificateProvider.GenerateSelfSigned("new.test", cert, key);
        File.SetLastWriteTimeUtc(cert, DateTime.UtcNow.AddSeconds(5));
        await Task.Delay(1100);
        Assert.Equal("CN=new.test", provider.GetCertificate().Subject);
    }

    [Fact]
    public async Task A_broken_renewal_keeps_the_previous_certificate()
    {
        var cert = Path.Combine(dir, "c.pem");
        var key = Path.Combine(dir, "k.pem");
        TlsCertificateProvider.GenerateSelfSigned("good.test", cert, key);
        var provider = new TlsCertificateProvider(Options(cert, key), NullLogger<TlsCertificateProvider>.Instance);
        provider.GetCertificate();
        await Task.Delay(1100);
        File.WriteAllText(cert, "-----BEGIN CERTIFICATE-----\ngarbage\n-----END CERTIFICATE-----\n");
        File.SetLastWriteTimeUtc(cert, DateTime.UtcNow.AddSeconds(5));
        await Task.Delay(1100);
        Assert.Equal("CN=good.test", provider.GetCertificate().Subject);
    }

    [Fact]
    public void An_unreadable_certificate_is_an_error_naming_the_file()
    {
        Directory.CreateDirectory(dir);
        var cert = Path.Combine(dir, "bad.pem");
        File.WriteAllText(cert, "not a certificate");
        var provider = new TlsCertificateProvider(Options(cert, cert), NullLogger<TlsCertificateProvider>.Instance);
        var ex = Assert.Throws<TlsConfigurationException>(() => provider.GetCertificate());
        Assert.Contains(cert, ex.Message, StringComparison.Ordinal);
    }
}
