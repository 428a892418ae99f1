using System.Text;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;

namespace Tern.MailAuth;

/// <summary>ARC sealing (RFC 8617) of mail an alias forwards to another domain: our Authentication-Results become the
/// ARC-Authentication-Results, the message is signed (ARC-Message-Signature) and the chain sealed (ARC-Seal) with the
/// alias domain's first active DKIM key, so the final receiver can trust our checks after forwarding broke SPF.</summary>
public sealed class ArcSealer(DkimSigningService signing, ILogger<ArcSealer> logger)
{
    /// <summary>The three ARC header fields (CRLF) to put on top of the message, or null when
    /// <paramref name="domain"/> has no usable key or the results cannot be used.</summary>
    /// <param name="message">The message as received (seekable), from its first header.</param>
    /// <param name="authenticationResults">Our Authentication-Results field, as made by the inbound checks.</param>
    public async Task<string?> SealAsync(Stream message, string authenticationResults, string domain, string queueId, CancellationToken cancellationToken)
    {
        var key = signing.Store.ActiveKeys(domain).FirstOrDefault();
        if (key is null)
            return null;
        int colon = authenticationResults.IndexOf(':', StringComparison.Ordinal);
        if (!AuthenticationResults.TryParse(Encoding.ASCII.GetBytes(authenticationResults[(colon + 1)..]), out var results))
            return null;
        AsymmetricKeyParameter privateKey;
        try { privateKey = DkimKeyStore.LoadPrivateKey(key.KeyPath); }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException or InvalidCastException)
        {
            MailAuthLog.BadKey(logger, ex, key.KeyPath);
            return null;
        }
        var parsed = await new MimeParser(message, MimeFormat.Entity, persistent: true).ParseMessageAsync(cancellationToken).ConfigureAwait(false);
        int instance = parsed.Headers.Count(h => h.Id == HeaderId.ArcSeal) + 1;
        if (instance > 50)
            return null; // RFC 8617 4.2.1: at most 50 ARC sets
        var algorithm = privateKey is Ed25519PrivateKeyParameters ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256;
        var signer = new ResultsArcSigner(privateKey, key.Domain, key.Selector, algorithm, results)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
        int before = parsed.Headers.Count;
        await signer.SignAsync(parsed, DkimSigningService.HeadersToSign(parsed), cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        foreach (var header in parsed.Headers.Take(parsed.Headers.Count - before))
            text.Append(DkimSigningService.ToCrlf(header.Field + ":" + Encoding.ASCII.GetString(header.RawValue)));
        MailAuthLog.Sealed(logger, queueId, key.Domain, instance);
        return text.ToString();
    }

    /// <summary>MimeKit asks the signer for the results to seal; ours are the inbound checks' (their "arc=" becomes cv=).</summary>
    sealed class ResultsArcSigner(AsymmetricKeyParameter key, string domain, string selector, DkimSignatureAlgorithm algorithm, AuthenticationResults results)
        : ArcSigner(key, domain, selector, algorithm)
    {
        protected override AuthenticationResults GenerateArcAuthenticationResults(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) => results;

        protected override Task<AuthenticationResults> GenerateArcAuthenticationResultsAsync(FormatOptions options, MimeMessage message, CancellationToken cancellationToken) =>
            Task.FromResult(results);
    }
}
