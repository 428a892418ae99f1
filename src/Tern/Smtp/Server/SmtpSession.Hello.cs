using System.Globalization;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

sealed partial class SmtpSession
{
    /// <summary>AUTH policy. Port 25 never offers AUTH: it is for mail to local users, submission has its own ports,
    /// and no AUTH there means no password guessing there. Ports 587/465 offer it under TLS, and on plaintext only when
    /// configured (Smtp:AllowAuthWithoutTls, Auth:AllowPlaintextAuth) or from loopback with
    /// Auth:AllowPlaintextAuthOnLoopback (local webmail, tests).</summary>
    bool AuthAvailable =>
        !IsMx && (connection.IsSecure || smtp.AllowAuthWithoutTls || options.Auth.AllowPlaintextAuth
            || (connection.IsLoopback && options.Auth.AllowPlaintextAuthOnLoopback));

    bool StartTlsAvailable => !connection.IsSecure;

    /// <summary>EHLO / HELO (RFC 5321 4.1.1.1): resets any transaction; EHLO lists the extensions.</summary>
    async Task<SmtpReply> HelloAsync(SmtpCommand command, bool extended, CancellationToken cancellationToken)
    {
        _ = cancellationToken;
        var argument = command.Argument.Trim();
        if (argument.Length == 0 || argument.Contains(' ', StringComparison.Ordinal))
            return new SmtpReply(501, "5.5.4", $"Syntax: {command.Name} hostname");
        await ResetTransactionAsync().ConfigureAwait(false);
        helo = argument;
        esmtp = extended;
        state = SmtpState.Ready;
        var client = connection.RemoteAddress is { } ip ? ReceivedHeader.AddressLiteral(ip) : "[unknown]";
        if (!extended)
            return new SmtpReply(250, null, $"{Host} Hello {client}");

        var lines = new List<string>
        {
            $"{Host} Hello {client}",
            "PIPELINING",                                                                  // RFC 2920
            "SIZE " + smtp.MaxMessageSize.ToString(CultureInfo.InvariantCulture),          // RFC 1870
            "8BITMIME",                                                                    // RFC 6152
            "SMTPUTF8",                                                                    // RFC 6531
            "ENHANCEDSTATUSCODES",                                                         // RFC 2034
            "CHUNKING",                                                                    // RFC 3030
            "DSN",                                                                         // RFC 3461
        };
        if (StartTlsAvailable)
            lines.Add("STARTTLS");                                                         // RFC 3207
        // RFC 8689 4.1: REQUIRETLS is offered only on a TLS-protected session, where a client may then use it.
        if (connection.IsSecure)
            lines.Add("REQUIRETLS");                                                       // RFC 8689
        if (AuthAvailable && user is null)
            lines.Add("AUTH PLAIN LOGIN");                                                 // RFC 4954
        lines.Add("HELP");
        return new SmtpReply(250, null, lines);
    }

    /// <summary>RSET (RFC 5321 4.1.1.5).</summary>
    async Task<SmtpReply> RsetAsync(SmtpCommand command)
    {
        if (command.Argument.Length > 0)
            return new SmtpReply(501, "5.5.4", "Syntax: RSET");
        await ResetTransactionAsync().ConfigureAwait(false);
        return new SmtpReply(250, "2.0.0", "Ok");
    }

    SmtpReply Quit()
    {
        closing = true;
        return new SmtpReply(221, "2.0.0", $"{Host} Bye");
    }

    /// <summary>VRFY (RFC 5321 3.5.3, 7.3): 252 without looking anything up, so it cannot enumerate users.</summary>
    static SmtpReply Vrfy(SmtpCommand command) =>
        command.Argument.Trim().Length == 0
            ? new SmtpReply(501, "5.5.4", "Syntax: VRFY address")
            : new SmtpReply(252, "2.5.2", "Cannot VRFY user, but will accept message and attempt delivery");

    static SmtpReply Help() => new(214, "2.0.0",
        ["Commands: EHLO HELO MAIL RCPT DATA BDAT RSET NOOP QUIT VRFY HELP STARTTLS AUTH", "See RFC 5321"]);
}
