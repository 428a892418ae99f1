using System.Text;

namespace Tern.Smtp.Protocol;

public enum SmtpVerb { Unknown, Ehlo, Helo, Mail, Rcpt, Data, Bdat, Rset, Noop, Quit, Vrfy, Expn, Help, StartTls, Auth }

/// <summary>A command line split into its verb and the rest (RFC 5321 4.1.1).</summary>
/// <param name="Name">The verb as sent, upper-cased (for replies about unknown commands).</param>
/// <param name="Argument">Everything after the verb and one space; empty when none.</param>
public sealed record SmtpCommand(SmtpVerb Verb, string Name, string Argument);

public enum SmtpLineError { None, NulByte, InvalidUtf8, Empty }

/// <summary>Splits a command line (without its CRLF). Pure; the line length was capped by the reader.</summary>
public static class SmtpCommandParser
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>RFC 5321 4.1.1: verbs are case-insensitive, separated from arguments by one space.
    /// A NUL byte or invalid UTF-8 (RFC 6531 allows UTF-8 in addresses) refuses the line.</summary>
    public static SmtpLineError TryParse(ReadOnlySpan<byte> line, out SmtpCommand command)
    {
        command = new SmtpCommand(SmtpVerb.Unknown, "", "");
        if (line.IndexOf((byte)0) >= 0)
            return SmtpLineError.NulByte;
        string text;
        try { text = StrictUtf8.GetString(line); }
        catch (DecoderFallbackException) { return SmtpLineError.InvalidUtf8; }
        if (text.Trim().Length == 0)
            return SmtpLineError.Empty;
        int space = text.IndexOf(' ', StringComparison.Ordinal);
        var name = (space < 0 ? text : text[..space]).ToUpperInvariant();
        var argument = space < 0 ? "" : text[(space + 1)..];
        command = new SmtpCommand(VerbOf(name), name, argument);
        return SmtpLineError.None;
    }

    static SmtpVerb VerbOf(string name) => name switch
    {
        "EHLO" => SmtpVerb.Ehlo,
        "HELO" => SmtpVerb.Helo,
        "MAIL" => SmtpVerb.Mail,
        "RCPT" => SmtpVerb.Rcpt,
        "DATA" => SmtpVerb.Data,
        "BDAT" => SmtpVerb.Bdat,
        "RSET" => SmtpVerb.Rset,
        "NOOP" => SmtpVerb.Noop,
        "QUIT" => SmtpVerb.Quit,
        "VRFY" => SmtpVerb.Vrfy,
        "EXPN" => SmtpVerb.Expn,
        "HELP" => SmtpVerb.Help,
        "STARTTLS" => SmtpVerb.StartTls,
        "AUTH" => SmtpVerb.Auth,
        _ => SmtpVerb.Unknown,
    };
}
