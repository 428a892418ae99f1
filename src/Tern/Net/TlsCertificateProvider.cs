using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using Tern.Configuration;

namespace Tern.Net;

/// <summary>TLS server settings for implicit TLS and STARTTLS alike.</summary>
public interface ITlsServerOptionsProvider
{
    SslServerAuthenticationOptions GetServerOptions();
}

/// <summary>Loads the certificate from the configured PEM files, or generates a self-signed one for the host name
/// under <c>data/tls/</c> on first start; notices a renewed file without a restart.</summary>
public sealed partial class TlsCertificateProvider : ITlsServerOptionsProvider
{
    readonly string certificateFile;
    readonly string keyFile;
    readonly TimeSpan recheck;
    readonly ILogger<TlsCertificateProvider> logger;
    readonly Lock gate = new();
    SslStreamCertificateContext? current;
    DateTime loadedCertWrite, loadedKeyWrite;
    DateTime nextCheck;

    public TlsCertificateProvider(TernOptions options, ILogger<TlsCertificateProvider> logger)
    {
        this.logger = logger;
        recheck = TimeSpan.FromSeconds(Math.Max(1, options.Tls.ReloadCheckSeconds));
        if (!string.IsNullOrWhiteSpace(options.Tls.CertificateFile))
        {
            certificateFile = Path.GetFullPath(options.Tls.CertificateFile);
            keyFile = Path.GetFullPath(string.IsNullOrWhiteSpace(options.Tls.KeyFile) ? options.Tls.CertificateFile : options.Tls.KeyFile);
        }
        else
        {
            var dir = Path.Combine(options.FullDataDirectory, "tls");
            certificateFile = Path.Combine(dir, "cert.pem");
            keyFile = Path.Combine(dir, "key.pem");
            if (!File.Exists(certificateFile) || !File.Exists(keyFile))
            {
                GenerateSelfSigned(options.HostName, certificateFile, keyFile);
                SelfSignedGenerated(logger, certificateFile, options.HostName);
            }
            else
            {
                SelfSignedInUse(logger, certificateFile);
            }
        }
    }

    public string CertificateFile => certificateFile;

    /// <summary>Loads the certificate now; throws <see cref="TlsConfigurationException"/> naming the file on failure.</summary>
    public X509Certificate2 GetCertificate()
    {
        lock (gate)
        {
            var now = DateTime.UtcNow;
            if (current is null || now >= nextCheck)
            {
                nextCheck = now + recheck;
                var certWrite = SafeWriteTime(certificateFile);
                var keyWrite = SafeWriteTime(keyFile);
                if (current is null || certWrite != loadedCertWrite || keyWrite != loadedKeyWrite)
                {
                    try
                    {
                        current = SslStreamCertificateContext.Create(Load(certificateFile, keyFile), additionalCertificates: null);
                        if (loadedCertWrite != default)
                            CertificateReloaded(logger, certificateFile);
                        loadedCertWrite = certWrite;
                        loadedKeyWrite = keyWrite;
                    }
                    catch (TlsConfigurationException ex) when (current is not null)
                    {
                        // A half-written renewal must not take TLS down: keep the certificate we have.
                        CertificateReloadFailed(logger, ex.Message);
                    }
                }
            }
            return current!.TargetCertificate;
        }
    }

    public SslServerAuthenticationOptions GetServerOptions()
    {
        GetCertificate();
        SslStreamCertificateContext context;
        lock (gate)
            context = current!;
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
    }

    static DateTime SafeWriteTime(string path) => File.Exists(path) ? File.GetLastWriteTimeUtc(path) : default;

    static X509Certificate2 Load(string certFile, string keyFile)
    {
        try
        {
            using var pem = X509Certificate2.CreateFromPemFile(certFile, keyFile);
            // SslStream wants a key it can use after the PEM objects are gone: round-trip through PKCS#12.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
        }
        catch (Exception ex) when (ex is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new TlsConfigurationException($"cannot load TLS certificate {certFile} with key {keyFile}: {ex.Message}");
        }
    }

    /// <summary>Writes a self-signed RSA-2048 certificate for the host name, key file mode 0600.</summary>
    public static void GenerateSelfSigned(string hostName, string certFile, string keyFile)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(certFile)!);
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN={hostName}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName(hostName);
        if (!hostName.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            san.AddDnsName("localhost");
        san.AddIpAddress(System.Net.IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(5));

        var keyTemp = keyFile + ".tmp";
        File.WriteAllText(keyTemp, "");
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(keyTemp, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        File.WriteAllText(keyTemp, rsa.ExportPkcs8PrivateKeyPem());
        File.Move(keyTemp, keyFile, overwrite: true);
        var certTemp = certFile + ".tmp";
        File.WriteAllText(certTemp, cert.ExportCertificatePem());
        File.Move(certTemp, certFile, overwrite: true);
    }

    [LoggerMessage(1050, LogLevel.Warning, "No TLS certificate configured: generated a self-signed one at {File} for {HostName}. Clients will warn; set Tls:CertificateFile and Tls:KeyFile.")]
    static partial void SelfSignedGenerated(ILogger logger, string file, string hostName);

    [LoggerMessage(1051, LogLevel.Warning, "No TLS certificate configured: using the self-signed one at {File}. Set Tls:CertificateFile and Tls:KeyFile.")]
    static partial void SelfSignedInUse(ILogger logger, string file);

    [LoggerMessage(1052, LogLevel.Information, "TLS certificate {File} changed on disk: reloaded")]
    static partial void CertificateReloaded(ILogger logger, string file);

    [LoggerMessage(1053, LogLevel.Error, "TLS certificate reload failed, keeping the previous one: {Reason}")]
    static partial void CertificateReloadFailed(ILogger logger, string reason);
}

public sealed class TlsConfigurationException(string message) : Exception(message);
