using System.Globalization;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Pkcs;
using Org.BouncyCastle.Security;

namespace Tern.MailAuth;

/// <summary>One DKIM key of a domain.</summary>
/// <param name="Active">True while its private key is <c>SELECTOR.private.pem</c>: mail is signed with it.
/// A retired key is <c>SELECTOR.retired.pem</c>; its DNS record stays until the administrator removes it.</param>
public sealed record DkimKeyInfo(string Domain, string Selector, string Algorithm, bool Active, string KeyPath, string DnsPath, DateTime Created);

/// <summary>DKIM keys in the data folder, one folder per domain:
/// <c>DATA/dkim/DOMAIN/SELECTOR.private.pem</c> (PKCS#8 PEM, mode 0600) and <c>DATA/dkim/DOMAIN/SELECTOR.dns.txt</c>
/// (the TXT record value to publish at <c>SELECTOR._domainkey.DOMAIN</c>, one line). <c>tern dns</c> reads the
/// same files.</summary>
public sealed class DkimKeyStore(string dataDirectory)
{
    public const string PrivateSuffix = ".private.pem";
    public const string RetiredSuffix = ".retired.pem";
    public const string DnsSuffix = ".dns.txt";

    public string Root { get; } = Path.Combine(dataDirectory, "dkim");

    public string DomainFolder(string domain) => Path.Combine(Root, CheckDomain(domain));

    /// <summary>Keys of <paramref name="domain"/>, or of every domain when null; active first, newest first.</summary>
    public IReadOnlyList<DkimKeyInfo> List(string? domain = null)
    {
        if (!Directory.Exists(Root))
            return [];
        var folders = domain is null ? Directory.GetDirectories(Root) : [DomainFolder(domain)];
        var keys = new List<DkimKeyInfo>();
        foreach (var folder in folders.Where(Directory.Exists))
        {
            var name = Path.GetFileName(folder);
            foreach (var file in Directory.GetFiles(folder))
            {
                var fileName = Path.GetFileName(file);
                bool active = fileName.EndsWith(PrivateSuffix, StringComparison.Ordinal);
                if (!active && !fileName.EndsWith(RetiredSuffix, StringComparison.Ordinal))
                    continue;
                var selector = fileName[..^(active ? PrivateSuffix.Length : RetiredSuffix.Length)];
                var dnsPath = Path.Combine(folder, selector + DnsSuffix);
                var algorithm = File.Exists(dnsPath) && File.ReadAllText(dnsPath).Contains("k=ed25519", StringComparison.OrdinalIgnoreCase) ? "ed25519" : "rsa";
                keys.Add(new DkimKeyInfo(name, selector, algorithm, active, file, dnsPath, File.GetCreationTimeUtc(file)));
            }
        }
        return keys.OrderBy(k => k.Domain, StringComparer.Ordinal).ThenByDescending(k => k.Active).ThenByDescending(k => k.Selector, StringComparer.Ordinal).ToList();
    }

    /// <summary>Makes a new key pair. The default selector is the algorithm, the year and a letter ("rsa2026a",
    /// "ed2026b"), so a rotation gets a new name and the old record can stay published meanwhile.</summary>
    public DkimKeyInfo Generate(string domain, string? selector, string algorithm, DateTime now)
    {
        domain = CheckDomain(domain);
        algorithm = algorithm.ToLowerInvariant();
        if (algorithm is not ("rsa" or "ed25519"))
            throw new ArgumentException($"unknown algorithm '{algorithm}' (rsa or ed25519)");
        var folder = DomainFolder(domain);
        CreatePrivateDirectory(Root);
        CreatePrivateDirectory(folder);
        selector ??= NextSelector(folder, algorithm == "rsa" ? "rsa" : "ed", now.Year);
        if (!IsSelector(selector))
            throw new ArgumentException($"'{selector}' is not a valid selector (letters, digits, '-', '.')");
        var keyPath = Path.Combine(folder, selector + PrivateSuffix);
        if (File.Exists(keyPath) || File.Exists(Path.Combine(folder, selector + RetiredSuffix)) || File.Exists(Path.Combine(folder, selector + DnsSuffix)))
            throw new ArgumentException($"selector '{selector}' of {domain} exists already");

        string pem, record;
        if (algorithm == "rsa")
        {
            using var rsa = RSA.Create(2048);
            pem = rsa.ExportPkcs8PrivateKeyPem();
            record = "v=DKIM1; k=rsa; p=" + Convert.ToBase64String(rsa.ExportSubjectPublicKeyInfo());
        }
        else
        {
            var generator = new Ed25519KeyPairGenerator();
            generator.Init(new Ed25519KeyGenerationParameters(new SecureRandom()));
            var pair = generator.GenerateKeyPair();
            var der = PrivateKeyInfoFactory.CreatePrivateKeyInfo(pair.Private).GetEncoded();
            pem = PemEncoding.WriteString("PRIVATE KEY", der);
            // RFC 8463 4.2: p= is the raw 32-octet public key, base64.
            record = "v=DKIM1; k=ed25519; p=" + Convert.ToBase64String(((Ed25519PublicKeyParameters)pair.Public).GetEncoded());
        }
        WritePrivate(keyPath, pem + "\n");
        var dnsPath = Path.Combine(folder, selector + DnsSuffix);
        File.WriteAllText(dnsPath, record + "\n");
        return new DkimKeyInfo(domain, selector, algorithm, true, keyPath, dnsPath, now);
    }

    /// <summary>Stops signing with a key; its files stay (the DNS record should stay published a few days, so mail
    /// in flight still verifies).</summary>
    public DkimKeyInfo Retire(string domain, string selector)
    {
        var key = List(domain).FirstOrDefault(k => k.Selector.Equals(selector, StringComparison.OrdinalIgnoreCase))
            ?? throw new ArgumentException($"no DKIM key '{selector}' for {domain}");
        if (!key.Active)
            return key;
        var retired = Path.Combine(Path.GetDirectoryName(key.KeyPath)!, key.Selector + RetiredSuffix);
        File.Move(key.KeyPath, retired);
        return key with { Active = false, KeyPath = retired };
    }

    /// <summary>The signing keys of <paramref name="domain"/> (active only).</summary>
    public IReadOnlyList<DkimKeyInfo> ActiveKeys(string domain)
    {
        if (!IsDomain(domain.ToLowerInvariant()))
            return [];
        return List(domain).Where(k => k.Active).ToList();
    }

    /// <summary>A PKCS#8 PEM private key (RSA or Ed25519) as BouncyCastle parameters for MimeKit's signers.</summary>
    public static AsymmetricKeyParameter LoadPrivateKey(string path)
    {
        var text = File.ReadAllText(path);
        var fields = PemEncoding.Find(text);
        var der = Convert.FromBase64String(text[fields.Base64Data]);
        return PrivateKeyFactory.CreateKey(der);
    }

    static string NextSelector(string folder, string prefix, int year)
    {
        for (char letter = 'a'; letter <= 'z'; letter++)
        {
            var candidate = string.Create(CultureInfo.InvariantCulture, $"{prefix}{year}{letter}");
            if (!Directory.GetFiles(folder, candidate + ".*").Any())
                return candidate;
        }
        throw new ArgumentException($"no free default selector for {year}; give one with --selector");
    }

    static void CreatePrivateDirectory(string path)
    {
        if (Directory.Exists(path))
            return;
        if (OperatingSystem.IsWindows())
            Directory.CreateDirectory(path);
        else
            Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    static void WritePrivate(string path, string text)
    {
        var file = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            file.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite; // 0600: the key is a secret
        using var stream = new FileStream(path, file);
        using var writer = new StreamWriter(stream);
        writer.Write(text);
    }

    static string CheckDomain(string domain)
    {
        domain = domain.Trim().TrimEnd('.').ToLowerInvariant();
        if (!IsDomain(domain))
            throw new ArgumentException($"'{domain}' is not a domain name");
        return domain;
    }

    static bool IsDomain(string domain) =>
        domain.Length is > 0 and <= 253 && Uri.CheckHostName(domain) == UriHostNameType.Dns && !domain.Contains("..", StringComparison.Ordinal);

    static bool IsSelector(string selector) =>
        selector.Length is > 0 and <= 63 && selector.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.')
        && !selector.StartsWith('.') && !selector.Contains("..", StringComparison.Ordinal);
}
