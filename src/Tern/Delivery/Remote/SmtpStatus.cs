using System.Globalization;
using System.Text.RegularExpressions;

namespace Tern.Delivery.Remote;

/// <summary>Turns SMTP replies into outcomes and RFC 3463 enhanced status codes.</summary>
public static partial class SmtpStatus
{
    /// <summary>RFC 5321 4.2.1: 2yz done, 4yz transient, 5yz permanent. Anything else (1yz, 3yz out of place, garbage)
    /// is treated as transient: the message stays queued rather than being lost or bounced on a broken peer.</summary>
    public static RemoteOutcome OutcomeOf(int code) => code switch
    {
        >= 200 and < 300 => RemoteOutcome.Delivered,
        >= 500 and < 600 => RemoteOutcome.Failed,
        _ => RemoteOutcome.Deferred,
    };

    /// <summary>The enhanced status code at the start of the reply text (RFC 2034), else "c.0.0" from the reply class.</summary>
    public static string EnhancedOf(int code, string text)
    {
        var match = EnhancedPattern().Match(text);
        if (match.Success && match.Groups[1].Value[0] - '0' == code / 100)
            return match.Groups[1].Value;
        int cls = code / 100;
        return cls is 2 or 4 or 5 ? string.Create(CultureInfo.InvariantCulture, $"{cls}.0.0") : "4.0.0";
    }

    /// <summary>"550 5.1.1 no such user": one line, for the .env, the log and the DSN's Diagnostic-Code.</summary>
    public static string Format(int code, string text)
    {
        var oneLine = string.Join(' ', text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        return string.Create(CultureInfo.InvariantCulture, $"{code} {oneLine}").TrimEnd();
    }

    [GeneratedRegex(@"^\s*([245]\.\d{1,3}\.\d{1,3})\b")]
    private static partial Regex EnhancedPattern();
}
