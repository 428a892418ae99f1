using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Parameters;
using Tern.Configuration;

namespace Tern.MailAuth;

/// <summary>DKIM signing (RFC 6376, RFC 8463) of mail our users submit: one signature per active key of the From
/// domain (RSA and Ed25519 side by side, as RFC 8463 3 suggests), relaxed/relaxed, with MimeKit's DkimSigner.</summary>
public sealed class DkimSigningService(TernOptions options, ILogger<DkimSigningService> logger)
{
    /// <summary>RFC 6376 5.4.1: the header fields that SHOULD be signed.</summary>
    public static readonly string[] SignedHeaders =
    [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc",
        "In-Reply-To", "References", "List-Id", "List-Help", "List-Unsubscribe", "List-Subscribe", "List-Post",
        "List-Owner", "List-Archive", "Message-ID", "Sender", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ];

    /// <summary>RFC 6376 8.15: listed once more than present (or once when absent), so a field added in transit
    /// (a second From, a new Subject) breaks the signature.</summary>
    static readonly HashSet<string> Oversigned = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "To", "Cc", "Subject", "Date", "Reply-To", "Message-ID", "In-Reply-To", "References", "Sender",
    };

    /// <summary>The h= list for <paramref name="message"/>: each field of <see cref="SignedHeaders"/> as often as it
    /// occurs (MimeKit keeps Content-* fields of the top level in the body's headers), plus the oversigned ones.</summary>
    public static List<string> HeadersToSign(MimeMessage message)
    {
        var list = new List<string>();
        foreach (var name in SignedHeaders)
        {
            int count = message.Headers.Count(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (name.StartsWith("Content-", StringComparison.OrdinalIgnoreCase) && message.Body is not null)
                count += message.Body.Headers.Count(h => h.Field.Equals(name, StringComparison.OrdinalIgnoreCase));
            if (Oversigned.Contains(name))
                count++;
            for (int i = 0; i < count; i++)
                list.Add(name);
        }
        return list;
    }

    readonly DkimKeyStore store = new(options.FullDataDirectory);
    readonly ConcurrentDictionary<string, (DateTime Written, AsymmetricKeyParameter Key)> keys = new(StringComparer.Ordinal);

    public DkimKeyStore Store => store;

    /// <summary>The DKIM-Signature header fields (CRLF line ends) to put on top of <paramref name="message"/>, or
    /// null when <paramref name="domain"/> has no active key. A key that cannot be used is logged and skipped.</summary>
    public async Task<string?> SignAsync(Stream message, string domain, string queueId, CancellationToken cancellationToken)
    {
        var active = store.ActiveKeys(domain);
        if (active.Count == 0)
            return null;
        var parsed = await new MimeParser(message, MimeFormat.Entity, persistent: true).ParseMessageAsync(cancellationToken).ConfigureAwait(false);
        int before = parsed.Headers.Count(h => h.Id == HeaderId.DkimSignature);
        var used = new List<string>();
        foreach (var key in active)
        {
            AsymmetricKeyParameter privateKey;
            try { privateKey = Load(key.KeyPath); }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException or InvalidCastException)
            {
                MailAuthLog.BadKey(logger, ex, key.KeyPath);
                continue;
            }
            var algorithm = privateKey is Ed25519PrivateKeyParameters ? DkimSignatureAlgorithm.Ed25519Sha256 : DkimSignatureAlgorithm.RsaSha256;
            var signer = new DkimSigner(privateKey, key.Domain, key.Selector, algorithm)
            {
                HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
                BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            };
            signer.Sign(parsed, HeadersToSign(parsed));
            used.Add(key.Selector);
        }
        if (used.Count == 0)
            return null;
        // The signer inserts each new field at the top; keep them in that order, with CRLF line ends.
        var added = parsed.Headers.Where(h => h.Id == HeaderId.DkimSignature).Take(parsed.Headers.Count(h => h.Id == HeaderId.DkimSignature) - before);
        var text = new StringBuilder();
        foreach (var header in added)
            text.Append(ToCrlf(header.Field + ":" + Encoding.ASCII.GetString(header.RawValue)));
        MailAuthLog.Signed(logger, queueId, domain, string.Join(",", used));
        return text.ToString();
    }

    AsymmetricKeyParameter Load(string path)
    {
        var written = File.GetLastWriteTimeUtc(path);
        if (keys.TryGetValue(path, out var cached) && cached.Written == written)
            return cached.Key;
        var key = DkimKeyStore.LoadPrivateKey(path);
        keys[path] = (written, key);
        return key;
    }

    internal static string ToCrlf(string text)
    {
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace("\n", "\r\n", StringComparison.Ordinal);
        return text.EndsWith("\r\n", StringComparison.Ordinal) ? text : text + "\r\n";
    }
}
