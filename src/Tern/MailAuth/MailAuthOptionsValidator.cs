namespace Tern.MailAuth;

/// <summary>Checks the MailAuth settings that bind but make no sense, naming each key.</summary>
public static class MailAuthOptionsValidator
{
    static readonly string[] RejectActions = ["Reject", "Quarantine", "None"];
    static readonly string[] QuarantineActions = ["Quarantine", "None"];

    public static IEnumerable<(string Key, string Message)> Validate(MailAuthOptions options)
    {
        if (!IsOneOf(options.OnReject, RejectActions))
            yield return ("MailAuth:OnReject", $"'{options.OnReject}' is not one of Reject, Quarantine, None");
        if (!IsOneOf(options.OnQuarantine, QuarantineActions))
            yield return ("MailAuth:OnQuarantine", $"'{options.OnQuarantine}' is not one of Quarantine, None");
        if (options.CheckTimeoutSeconds <= 0)
            yield return ("MailAuth:CheckTimeoutSeconds", $"must be greater than 0 (is {options.CheckTimeoutSeconds})");
        for (int i = 0; i < options.Domains.Count; i++)
        {
            var domain = options.Domains[i];
            if (string.IsNullOrWhiteSpace(domain.Domain) || Uri.CheckHostName(domain.Domain) != UriHostNameType.Dns)
                yield return ($"MailAuth:Domains:{i}:Domain", $"'{domain.Domain}' is not a domain name");
            if (domain.OnReject is { Length: > 0 } r && !IsOneOf(r, RejectActions))
                yield return ($"MailAuth:Domains:{i}:OnReject", $"'{r}' is not one of Reject, Quarantine, None");
            if (domain.OnQuarantine is { Length: > 0 } q && !IsOneOf(q, QuarantineActions))
                yield return ($"MailAuth:Domains:{i}:OnQuarantine", $"'{q}' is not one of Quarantine, None");
        }
    }

    static bool IsOneOf(string value, string[] allowed) => allowed.Contains(value, StringComparer.OrdinalIgnoreCase);
}
