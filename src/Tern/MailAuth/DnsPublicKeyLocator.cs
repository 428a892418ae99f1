using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;

namespace Tern.MailAuth;

/// <summary>The key record could not be fetched for now (RFC 6376 6.1.2: TEMPFAIL).</summary>
public sealed class DkimTemporaryException(string message) : Exception(message);

/// <summary>There is no usable key record (RFC 6376 6.1.2: PERMFAIL).</summary>
public sealed class DkimKeyException(string message) : Exception(message);

/// <summary>MimeKit's DKIM and ARC verifiers fetch keys here: the TXT record at <c>selector._domainkey.domain</c>
/// (RFC 6376 3.6.2.1) through <see cref="MailAuthDns"/>, parsed by MimeKit (RSA and Ed25519, RFC 8463).</summary>
public sealed class DnsPublicKeyLocator(MailAuthDns dns) : DkimPublicKeyLocatorBase
{
    public override AsymmetricKeyParameter LocatePublicKey(string methods, string domain, string selector, CancellationToken cancellationToken = default) =>
        LocatePublicKeyAsync(methods, domain, selector, cancellationToken).GetAwaiter().GetResult();

    public override async Task<AsymmetricKeyParameter> LocatePublicKeyAsync(string methods, string domain, string selector, CancellationToken cancellationToken = default)
    {
        // RFC 6376 3.5 q=: "dns/txt" is the only defined method.
        if (!methods.Split(':').Any(m => m.Trim().Equals("dns/txt", StringComparison.OrdinalIgnoreCase)))
            throw new DkimKeyException($"unsupported query method {methods}");
        var name = $"{selector}._domainkey.{domain}";
        var answer = await dns.TxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (answer.Outcome == DnsOutcome.TemporaryError)
            throw new DkimTemporaryException($"key lookup {name}: {answer.Error}");
        // RFC 6376 3.6.2.2: several records are ambiguous; we use the first that looks like a key.
        var record = answer.Records.FirstOrDefault(r => r.Contains("p=", StringComparison.Ordinal));
        if (record is null)
            throw new DkimKeyException($"no key record at {name}");
        if (System.Text.RegularExpressions.Regex.IsMatch(record, @"(^|;)\s*p\s*=\s*(;|$)"))
            throw new DkimKeyException($"key at {name} is revoked"); // RFC 6376 3.6.1: empty p= means revoked
        return GetPublicKey(record);
    }
}
