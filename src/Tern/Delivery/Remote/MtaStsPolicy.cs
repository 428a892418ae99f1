using System.Globalization;
using System.Text.RegularExpressions;

namespace Tern.Delivery.Remote;

/// <summary>RFC 8461 3.2 policy modes.</summary>
public enum MtaStsMode { None, Testing, Enforce }

/// <summary>An MTA-STS policy (RFC 8461 3.2) as fetched, with the TXT record id it was fetched for.</summary>
/// <param name="MxPatterns">"mx.example.com" or "*.example.com" (a wildcard covers exactly one leftmost label).</param>
public sealed partial record MtaStsPolicy(MtaStsMode Mode, IReadOnlyList<string> MxPatterns, long MaxAgeSeconds)
{
    /// <summary>RFC 8461 3.2: max_age is at most 31557600 seconds (about a year).</summary>
    public const long MaxMaxAge = 31_557_600;

    /// <summary>Bodies larger than this are refused (RFC 8461 3.3 lets senders bound the size; real policies are tiny).</summary>
    public const int MaxBodyBytes = 64 * 1024;

    /// <summary>RFC 8461 4.1: the MX host name matches a pattern literally, or "*." plus a name matches one more
    /// leftmost label ("*.example.com" matches "mx.example.com", not "example.com" nor "a.b.example.com").</summary>
    public bool Matches(string host)
    {
        host = host.Trim().TrimEnd('.');
        foreach (var pattern in MxPatterns)
        {
            if (pattern.StartsWith("*.", StringComparison.Ordinal))
            {
                int dot = host.IndexOf('.', StringComparison.Ordinal);
                if (dot > 0 && string.Equals(host[(dot + 1)..], pattern[2..], StringComparison.OrdinalIgnoreCase))
                    return true;
            }
            else if (string.Equals(host, pattern, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    public string Describe() =>
        $"mode {Mode.ToString().ToLowerInvariant()}, mx {string.Join(", ", MxPatterns)}, max_age {MaxAgeSeconds.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses a policy body (RFC 8461 3.2).</summary>
    /// <remarks><code>
    /// sts-policy-record  = sts-policy-field *WSP *(sts-policy-term-delim sts-policy-field *WSP) [sts-policy-term-delim]
    /// sts-policy-field   = sts-policy-version / sts-policy-mode / sts-policy-max-age / sts-policy-mx / sts-policy-extension
    /// sts-policy-term-delim = CRLF / LF
    /// sts-policy-version = "version" *WSP ":" *WSP "STSv1"
    /// sts-policy-mode    = "mode" *WSP ":" *WSP ("testing" / "enforce" / "none")
    /// sts-policy-max-age = "max_age" *WSP ":" *WSP 1*10DIGIT
    /// sts-policy-mx      = "mx" *WSP ":" *WSP ["*."] Domain
    /// </code></remarks>
    public static bool TryParse(string text, out MtaStsPolicy policy, out string error)
    {
        policy = null!;
        string? version = null, mode = null, maxAge = null;
        var mx = new List<string>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Trim().Length == 0)
                continue;
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                error = $"line '{Cut(line)}' is not 'key: value'";
                return false;
            }
            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            switch (key)
            {
                // RFC 8461 3.2: only the first of a repeated field counts (mx excepted).
                case "version": version ??= value; break;
                case "mode": mode ??= value; break;
                case "max_age": maxAge ??= value; break;
                case "mx": mx.Add(value.TrimEnd('.')); break;
                default: break; // extensions are ignored
            }
        }
        if (version != "STSv1")
        {
            error = version is null ? "no version field" : $"version '{Cut(version)}' is not STSv1";
            return false;
        }
        var parsedMode = mode switch
        {
            "enforce" => MtaStsMode.Enforce,
            "testing" => MtaStsMode.Testing,
            "none" => MtaStsMode.None,
            _ => (MtaStsMode?)null,
        };
        if (parsedMode is null)
        {
            error = mode is null ? "no mode field" : $"mode '{Cut(mode)}' is not enforce, testing or none";
            return false;
        }
        if (maxAge is null || maxAge.Length is 0 or > 10 || !maxAge.All(char.IsAsciiDigit)
            || !long.TryParse(maxAge, NumberStyles.None, CultureInfo.InvariantCulture, out var age))
        {
            error = maxAge is null ? "no max_age field" : $"max_age '{Cut(maxAge)}' is not a number of seconds";
            return false;
        }
        foreach (var pattern in mx)
        {
            if (!MxPattern().IsMatch(pattern))
            {
                error = $"mx '{Cut(pattern)}' is not a host name or *.domain pattern";
                return false;
            }
        }
        // RFC 8461 3.2: mx is required in enforce and testing mode.
        if (mx.Count == 0 && parsedMode != MtaStsMode.None)
        {
            error = "no mx field";
            return false;
        }
        policy = new MtaStsPolicy(parsedMode.Value, mx, Math.Min(age, MaxMaxAge));
        error = "";
        return true;
    }

    /// <summary>The policy as the file an administrator publishes (RFC 8461 3.2), CRLF line ends.</summary>
    public string Format()
    {
        var text = new System.Text.StringBuilder();
        text.Append("version: STSv1\r\n");
        text.Append(CultureInfo.InvariantCulture, $"mode: {Mode.ToString().ToLowerInvariant()}\r\n");
        foreach (var pattern in MxPatterns)
            text.Append(CultureInfo.InvariantCulture, $"mx: {pattern}\r\n");
        text.Append(CultureInfo.InvariantCulture, $"max_age: {MaxAgeSeconds}\r\n");
        return text.ToString();
    }

    /// <summary>Reads the id of an <c>_mta-sts</c> TXT record (RFC 8461 3.1): "v=STSv1; id=20160831085700Z;".</summary>
    /// <remarks><code>
    /// sts-text-record = sts-version 1*(sts-field-delim sts-field) [sts-field-delim]
    /// sts-version     = %s"v=STSv1"
    /// sts-id          = %s"id=" 1*32(ALPHA / DIGIT)
    /// </code></remarks>
    public static bool TryParseTxt(string record, out string id, out string error)
    {
        id = "";
        var fields = record.Split(';').Select(f => f.Trim(' ', '\t')).ToList();
        if (fields.Count == 0 || fields[0] != "v=STSv1")
        {
            error = $"'{Cut(record)}' does not start with v=STSv1";
            return false;
        }
        foreach (var field in fields.Skip(1))
        {
            if (field.StartsWith("id=", StringComparison.Ordinal))
            {
                var value = field[3..];
                if (value.Length is 0 or > 32 || !value.All(char.IsAsciiLetterOrDigit))
                {
                    error = $"id '{Cut(value)}' is not 1 to 32 letters and digits";
                    return false;
                }
                id = value;
                error = "";
                return true;
            }
        }
        error = $"'{Cut(record)}' has no id field";
        return false;
    }

    /// <summary>True for TXT records that claim to be MTA-STS records (RFC 8461 3.1: those starting "v=STSv1").</summary>
    public static bool IsStsRecord(string record) => record.StartsWith("v=STSv1", StringComparison.Ordinal);

    static string Cut(string text) => text.Length > 80 ? text[..80] + "..." : text;

    [GeneratedRegex(@"^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$")]
    private static partial Regex MxPattern();
}
