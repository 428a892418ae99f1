using System.Net;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;
using Tern.Configuration;

namespace Tern.MailAuth;

/// <summary>What the SMTP server does with a checked message.</summary>
public enum InboundAction { Accept, Quarantine, Reject, Defer }

/// <summary>The checks' verdict: the Authentication-Results header field to prepend and what to do.</summary>
/// <param name="Reply">For <see cref="InboundAction.Reject"/> and <see cref="InboundAction.Defer"/>: the SMTP reply text after the code.</param>
public sealed record InboundVerdict(InboundAction Action, string HeaderField, string? Reply);

/// <summary>The SMTP facts of one inbound message.</summary>
public sealed record InboundEnvelope(IPAddress? ClientAddress, string? Helo, string MailFrom);

/// <summary>SPF, DKIM, ARC and DMARC for one message received on port 25, and the policy decision. Every failure of
/// DNS, of a record or of a signature becomes a result in the header; nothing here throws for bad input.</summary>
public sealed class InboundAuthenticator(TernOptions options, MailAuthDns dns, ILogger<InboundAuthenticator> logger)
{
    /// <summary>Signatures beyond this many are not verified (each costs DNS and CPU); they get no result.</summary>
    public const int MaxSignatures = 8;

    readonly SpfEvaluator spf = new(dns);
    readonly DnsPublicKeyLocator locator = new(dns);
    readonly MailAuthOptions settings = options.MailAuth;

    sealed record DkimCheck(string Result, string? Domain, string? Selector, string? SignaturePrefix, string? Reason, string Algorithm);

    /// <param name="message">The message as received (seekable), from its first header.</param>
    public async Task<InboundVerdict> CheckAsync(InboundEnvelope envelope, Stream message, string queueId, CancellationToken cancellationToken)
    {
        var results = new List<AuthResult>();
        // One deadline for all DNS work: what is not answered by then is a temperror, and the client gets its reply
        // long before its own DATA timeout (RFC 5321 4.5.3.2.6: 10 minutes).
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(TimeSpan.FromSeconds(Math.Max(1, settings.CheckTimeoutSeconds)));
        var dnsToken = deadline.Token;

        // SPF (RFC 7208) of MAIL FROM, or of the HELO name for the null sender (2.4).
        SpfOutcome spfOutcome = envelope.ClientAddress is null
            ? new SpfOutcome(SpfResult.None, "", "no client address")
            : await spf.CheckAsync(envelope.ClientAddress, envelope.MailFrom, envelope.Helo ?? "", options.HostName, dnsToken).ConfigureAwait(false);
        results.Add(new AuthResult("spf", Name(spfOutcome.Result), spfOutcome.Reason,
            envelope.MailFrom.Length > 0 ? [("smtp.mailfrom", envelope.MailFrom)] : [("smtp.helo", envelope.Helo ?? "")]));

        MimeMessage? parsed = null;
        string? parseError = null;
        try
        {
            var parser = new MimeParser(message, MimeFormat.Entity, persistent: true);
            parsed = await parser.ParseMessageAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (FormatException ex)
        {
            parseError = ex.Message;
        }

        // DKIM (RFC 6376, RFC 8463) with MimeKit's verifier.
        var dkim = parsed is null ? [] : await VerifyDkimAsync(parsed, dnsToken, cancellationToken).ConfigureAwait(false);
        if (parsed is null)
            results.Add(new AuthResult("dkim", "permerror", "unparsable message: " + parseError, []));
        else if (dkim.Count == 0)
            results.Add(new AuthResult("dkim", "none", null, []));
        foreach (var check in dkim)
        {
            var properties = new List<(string, string)>();
            if (check.Domain is not null) properties.Add(("header.d", check.Domain));
            if (check.Selector is not null) properties.Add(("header.s", check.Selector));
            properties.Add(("header.a", check.Algorithm));
            if (check.SignaturePrefix is not null) properties.Add(("header.b", check.SignaturePrefix));
            results.Add(new AuthResult("dkim", check.Result, check.Reason, properties));
        }

        // DMARC (RFC 7489) on the From domain.
        var dmarc = parsed is null
            ? new DmarcOutcome("permerror", null, null, DmarcPolicy.None, "unparsable message")
            : await EvaluateDmarcAsync(parsed, spfOutcome, dkim, dnsToken).ConfigureAwait(false);
        results.Add(new AuthResult("dmarc", dmarc.Result, dmarc.Comment, dmarc.Domain is null ? [] : [("header.from", dmarc.Domain)]));

        // ARC (RFC 8617): recorded for the reader and for a later seal; it does not override DMARC here.
        results.Add(new AuthResult("arc", parsed is null ? "none" : await VerifyArcAsync(parsed, dnsToken, cancellationToken).ConfigureAwait(false), null, []));

        var header = AuthenticationResultsBuilder.Format(options.HostName, results);
        var verdict = Decide(dmarc, spfOutcome, dkim, header);
        MailAuthLog.Checked(logger, queueId, Name(spfOutcome.Result), string.Join(",", dkim.Select(d => d.Result).DefaultIfEmpty("none")),
            dmarc.Result, dmarc.Domain ?? "", verdict.Action.ToString());
        return verdict;
    }

    InboundVerdict Decide(DmarcOutcome dmarc, SpfOutcome spfOutcome, List<DkimCheck> dkim, string header)
    {
        if (dmarc.Result != "fail" || dmarc.Domain is null)
            return new InboundVerdict(InboundAction.Accept, header, null);
        var local = settings.Domains.FirstOrDefault(d => d.Domain.Length > 0
            && (dmarc.Domain.Equals(d.Domain, StringComparison.OrdinalIgnoreCase) || dmarc.Domain.EndsWith("." + d.Domain, StringComparison.OrdinalIgnoreCase)));
        var action = dmarc.Policy switch
        {
            DmarcPolicy.Reject => ParseAction(local?.OnReject is { Length: > 0 } r ? r : settings.OnReject),
            // Quarantine never becomes a refusal, whatever the setting says (the validator allows Quarantine or None).
            DmarcPolicy.Quarantine => ParseAction(local?.OnQuarantine is { Length: > 0 } q ? q : settings.OnQuarantine) == InboundAction.Accept
                ? InboundAction.Accept : InboundAction.Quarantine,
            _ => InboundAction.Accept,
        };
        // A temporary DNS failure could hide a pass: defer rather than refuse wrongly (RFC 7489 6.6.2 / 6.7).
        bool temporary = spfOutcome.Result == SpfResult.TempError || dkim.Any(d => d.Result == "temperror");
        if (action == InboundAction.Reject && temporary && settings.DeferOnTemporaryError)
            return new InboundVerdict(InboundAction.Defer, header, $"Temporary DNS failure checking the DMARC policy of {dmarc.Domain}; try again later");
        return action switch
        {
            InboundAction.Reject => new InboundVerdict(action, header, $"Message rejected by the DMARC policy of {dmarc.Domain} (RFC 7489): not authenticated"),
            _ => new InboundVerdict(action, header, null),
        };
    }

    static InboundAction ParseAction(string value) => value.ToLowerInvariant() switch
    {
        "reject" => InboundAction.Reject,
        "quarantine" or "junk" => InboundAction.Quarantine,
        _ => InboundAction.Accept,
    };

    async Task<List<DkimCheck>> VerifyDkimAsync(MimeMessage message, CancellationToken dnsToken, CancellationToken cancellationToken)
    {
        var verifier = new DkimVerifier(locator);
        verifier.Enable(DkimSignatureAlgorithm.Ed25519Sha256);
        verifier.Disable(DkimSignatureAlgorithm.RsaSha1); // RFC 8301 3.1: rsa-sha1 must not be considered valid
        var checks = new List<DkimCheck>();
        foreach (var header in message.Headers.Where(h => h.Id == HeaderId.DkimSignature).Take(MaxSignatures).ToList())
        {
            var tags = ParseTags(header.Value);
            tags.TryGetValue("d", out var domain);
            tags.TryGetValue("s", out var selector);
            tags.TryGetValue("a", out var algorithm);
            tags.TryGetValue("b", out var b);
            var prefix = b is null ? null : new string(b.Where(c => !char.IsWhiteSpace(c)).Take(8).ToArray());
            string result, reason;
            try
            {
                bool ok = await verifier.VerifyAsync(message, header, dnsToken).ConfigureAwait(false);
                (result, reason) = ok ? ("pass", "") : ("fail", "signature or body hash does not verify");
            }
            catch (DkimTemporaryException ex) { (result, reason) = ("temperror", ex.Message); }
            catch (DkimKeyException ex) { (result, reason) = ("permerror", ex.Message); }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
            catch (OperationCanceledException) { (result, reason) = ("temperror", "check deadline passed"); }
#pragma warning disable CA1031 // MimeKit and BouncyCastle throw many types for malformed tags, keys and base64; each is a permerror of this one signature
            catch (Exception ex) { (result, reason) = ("permerror", ex.GetType().Name + ": " + ex.Message); }
#pragma warning restore CA1031
            checks.Add(new DkimCheck(result, domain?.ToLowerInvariant(), selector, prefix, reason.Length == 0 ? null : reason, algorithm ?? "?"));
        }
        return checks;
    }

    async Task<string> VerifyArcAsync(MimeMessage message, CancellationToken dnsToken, CancellationToken cancellationToken)
    {
        if (!message.Headers.Contains(HeaderId.ArcSeal))
            return "none";
        try
        {
            var verifier = new ArcVerifier(locator);
            verifier.Enable(DkimSignatureAlgorithm.Ed25519Sha256);
            var result = await verifier.VerifyAsync(message, dnsToken).ConfigureAwait(false);
            return result.Chain switch
            {
                ArcSignatureValidationResult.Pass => "pass",
                ArcSignatureValidationResult.Fail => "fail",
                _ => "none",
            };
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
#pragma warning disable CA1031 // as for DKIM: any malformed ARC set is a failed chain, never a lost message
        catch (Exception) { return "fail"; }
#pragma warning restore CA1031
    }

    internal static Dictionary<string, string> ParseTags(string value)
    {
        var tags = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var part in value.Split(';'))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
                tags.TryAdd(part[..eq].Trim(), part[(eq + 1)..].Trim());
        }
        return tags;
    }

    sealed record DmarcOutcome(string Result, string? Domain, string? Comment, DmarcPolicy Policy, string? Reason);

    async Task<DmarcOutcome> EvaluateDmarcAsync(MimeMessage message, SpfOutcome spfOutcome, List<DkimCheck> dkim, CancellationToken cancellationToken)
    {
        // RFC 7489 6.6.1: the author domain. Messages with several From domains are checked for each; the worst counts.
        var domains = message.Headers.Where(h => h.Id == HeaderId.From)
            .SelectMany(h => InternetAddressList.TryParse(ParserOptions.Default, h.RawValue, out var list) ? list.Mailboxes : [])
            .Select(m => m.Domain.TrimEnd('.').ToLowerInvariant())
            .Where(d => d.Length > 0)
            .Distinct()
            .ToList();
        if (domains.Count == 0)
            return new DmarcOutcome("none", null, "no From domain", DmarcPolicy.None, null);
        DmarcOutcome? worst = null;
        foreach (var domain in domains)
        {
            var outcome = await EvaluateDomainAsync(domain, spfOutcome, dkim, cancellationToken).ConfigureAwait(false);
            if (worst is null || Rank(outcome) > Rank(worst))
                worst = outcome;
        }
        return worst!;
    }

    static int Rank(DmarcOutcome outcome) => outcome.Result == "fail" ? 10 + (int)outcome.Policy : outcome.Result == "pass" ? 0 : 1;

    async Task<DmarcOutcome> EvaluateDomainAsync(string domain, SpfOutcome spfOutcome, List<DkimCheck> dkim, CancellationToken cancellationToken)
    {
        var organizational = OrganizationalDomain.Of(domain);
        // RFC 7489 6.6.3: the From domain's record, else the organisational domain's.
        var (record, error) = await FetchRecordAsync(domain, cancellationToken).ConfigureAwait(false);
        bool atOrganizational = false;
        if (record is null && error is null && !organizational.Equals(domain, StringComparison.Ordinal))
        {
            (record, error) = await FetchRecordAsync(organizational, cancellationToken).ConfigureAwait(false);
            atOrganizational = true;
        }
        if (error is not null)
            return new DmarcOutcome("temperror", domain, error, DmarcPolicy.None, error);
        if (record is null)
            return new DmarcOutcome("none", domain, "no DMARC record", DmarcPolicy.None, null);

        // RFC 7489 3.1: identifier alignment, relaxed (same organisational domain) or strict (identical).
        bool spfAligned = spfOutcome.Result == SpfResult.Pass && Aligned(spfOutcome.Domain, domain, record.StrictSpf);
        bool dkimAligned = dkim.Any(d => d.Result == "pass" && d.Domain is not null && Aligned(d.Domain, domain, record.StrictDkim));
        var policy = atOrganizational && record.SubdomainPolicy is { } sp ? sp : record.Policy;
        var comment = $"p={Word(record.Policy)} sp={Word(record.SubdomainPolicy ?? record.Policy)}";
        if (spfAligned || dkimAligned)
            return new DmarcOutcome("pass", domain, comment + " dis=none", policy, null);

        // RFC 7489 6.6.4: pct= samples the messages the policy applies to; the others get the next milder one.
        var applied = policy;
        if (record.Percent < 100 && Random.Shared.Next(100) >= record.Percent)
            applied = policy == DmarcPolicy.Reject ? DmarcPolicy.Quarantine : DmarcPolicy.None;
        return new DmarcOutcome("fail", domain, $"{comment} dis={Word(applied)}", applied, null);
    }

    static string Word(DmarcPolicy policy) => policy.ToString().ToLowerInvariant();

    static bool Aligned(string identifier, string fromDomain, bool strict) =>
        strict
            ? identifier.Equals(fromDomain, StringComparison.OrdinalIgnoreCase)
            : OrganizationalDomain.Of(identifier).Equals(OrganizationalDomain.Of(fromDomain), StringComparison.OrdinalIgnoreCase);

    async Task<(DmarcRecord? Record, string? Error)> FetchRecordAsync(string domain, CancellationToken cancellationToken)
    {
        var answer = await dns.TxtAsync("_dmarc." + domain, cancellationToken).ConfigureAwait(false);
        if (answer.Outcome == DnsOutcome.TemporaryError)
            return (null, $"DNS error for _dmarc.{domain}");
        var records = answer.Records.Where(DmarcRecord.IsDmarc).ToList();
        // RFC 7489 6.6.3: several records are as good as none.
        return records.Count == 1 ? (DmarcRecord.Parse(records[0]), null) : (null, null);
    }

    static string Name(SpfResult result) => result.ToString().ToLowerInvariant();
}
