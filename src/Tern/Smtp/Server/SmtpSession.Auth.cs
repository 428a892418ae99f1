using System.Text;
using Tern.Accounts;
using Tern.Net;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

sealed partial class SmtpSession
{
    /// <summary>RFC 4954 4: a SASL response line may be 12288 octets.</summary>
    const int MaxSaslLine = 12288;

    /// <summary>The authenticated user; null until AUTH succeeds.</summary>
    UserAccount? user;
    /// <summary>The user's own addresses and aliases, loaded on first use.</summary>
    HashSet<string>? sendAs;

    /// <summary>Sentinel: the handler already wrote its reply (STARTTLS).</summary>
    static readonly SmtpReply NoReply = new(0, null, []);

    /// <summary>AUTH PLAIN / LOGIN (RFC 4954, RFC 4616), with an initial response and "*" to cancel. The failure delay
    /// and the per-address lockout are the authenticator's; every failure gets the same reply whether or not the user exists.</summary>
    async Task<SmtpReply?> AuthAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        if (!AuthAvailable)
        {
            return IsMx
                ? new SmtpReply(503, "5.5.1", "AUTH not available on this port; use submission (587 or 465)")
                : new SmtpReply(538, "5.7.11", "Encryption required for requested authentication mechanism");
        }
        if (user is not null)
            return new SmtpReply(503, "5.5.1", "Already authenticated");
        if (!esmtp)
            return new SmtpReply(503, "5.5.1", "Send EHLO first");

        var parts = command.Argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 1 or > 2)
            return new SmtpReply(501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
        var mechanism = parts[0].ToUpperInvariant();
        string? initial = parts.Length == 2 ? parts[1] : null;

        string authorizationId = "", authenticationId, password;
        switch (mechanism)
        {
            case "PLAIN":
            {
                var (reply, data) = await ResponseAsync(initial, "", cancellationToken).ConfigureAwait(false);
                if (data is null)
                    return reply;
                if (!SaslPlain.TryParse(data, out authorizationId, out authenticationId, out password))
                    return new SmtpReply(501, "5.5.2", "Malformed PLAIN response");
                break;
            }
            case "LOGIN":
            {
                var (reply, name) = await ResponseAsync(initial, SaslLogin.UsernameChallenge, cancellationToken).ConfigureAwait(false);
                if (name is null)
                    return reply;
                (reply, var secret) = await ResponseAsync(null, SaslLogin.PasswordChallenge, cancellationToken).ConfigureAwait(false);
                if (secret is null)
                    return reply;
                authenticationId = DecodeUtf8(name);
                password = DecodeUtf8(secret);
                break;
            }
            default:
                return new SmtpReply(504, "5.5.4", "Unrecognized authentication type");
        }

        var result = await authenticator.AuthenticateAsync(authenticationId, password, connection.RemoteAddress, cancellationToken).ConfigureAwait(false);
        if (result.Outcome == AuthenticationOutcome.LockedOut)
        {
            SmtpLog.AuthenticationFailed(logger, connection.Id, connection.RemoteEndPoint, "locked out");
            return new SmtpReply(454, "4.7.0", "Too many failed authentication attempts, try later");
        }
        // RFC 4616 2: an authorization identity other than the authenticated one is refused (no proxy login here).
        if (!result.Succeeded || result.User is null
            || (authorizationId.Length > 0 && !string.Equals(authorizationId, result.User.Address, StringComparison.OrdinalIgnoreCase)))
        {
            SmtpLog.AuthenticationFailed(logger, connection.Id, connection.RemoteEndPoint, result.Outcome.ToString());
            return new SmtpReply(535, "5.7.8", "Authentication credentials invalid");
        }
        user = result.User;
        sendAs = null;
        SmtpLog.Authenticated(logger, connection.Id, connection.RemoteEndPoint, user.Address);
        return new SmtpReply(235, "2.7.0", "Authentication successful");
    }

    /// <summary>The decoded client response: the initial response when given ("=" is an empty one), else the answer
    /// to a 334 challenge. On failure the data is null and the reply says why (null reply: the client went away).</summary>
    async Task<(SmtpReply? Reply, byte[]? Data)> ResponseAsync(string? initial, string challenge, CancellationToken cancellationToken)
    {
        string text;
        if (initial is not null)
        {
            text = initial;
        }
        else
        {
            await SendAsync(new SmtpReply(334, null, challenge), cancellationToken, flush: true).ConfigureAwait(false);
            var read = await connection.ReadLineAsync(MaxSaslLine, waitingForCommand: false, cancellationToken).ConfigureAwait(false);
            switch (read.Status)
            {
                case LineReadStatus.Line:
                    break;
                case LineReadStatus.TooLong:
                    return (new SmtpReply(500, "5.5.6", "Authentication exchange line too long"), null);
                case LineReadStatus.TimedOut:
                    return (Close(new SmtpReply(421, "4.4.2", $"{Host} Timeout, closing connection"), "timeout in AUTH"), null);
                default:
                    closing = true;
                    return (null, null);
            }
            connection.LogCommand("(AUTH response ***)");
            text = Encoding.ASCII.GetString(read.Line).Trim();
        }
        if (text == "*")
            return (new SmtpReply(501, "5.0.0", "Authentication cancelled"), null);
        if (text == "=")
            return (null, []);
        var buffer = new byte[(text.Length * 3 / 4) + 3];
        if (text.Length == 0 || !Convert.TryFromBase64String(text, buffer, out int written))
            return (new SmtpReply(501, "5.5.2", "Invalid base64 data"), null);
        return (null, buffer[..written]);
    }

    static string DecodeUtf8(byte[] data) => Encoding.UTF8.GetString(data);

    /// <summary>STARTTLS (RFC 3207): the 220, the handshake, and then a fresh session: RFC 3207 4.2 says the server must
    /// forget what it learnt before TLS (EHLO, AUTH), and the connection layer drops buffered plaintext.</summary>
    async Task<SmtpReply?> StartTlsAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        if (!StartTlsAvailable)
            return new SmtpReply(503, "5.5.1", "TLS already active");
        if (command.Argument.Length > 0)
            return new SmtpReply(501, "5.5.4", "Syntax: STARTTLS");
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        if (!await connection.StartTlsAsync("220 2.0.0 Ready to start TLS", cancellationToken).ConfigureAwait(false))
        {
            closing = true;
            return null;
        }
        await ResetTransactionAsync().ConfigureAwait(false);
        state = SmtpState.Connected;
        helo = null;
        esmtp = false;
        user = null;
        sendAs = null;
        commandsBeforeMail = 0;
        return NoReply;
    }
}
