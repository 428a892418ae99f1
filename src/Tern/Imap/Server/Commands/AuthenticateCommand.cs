using System.Text;
using Tern.Accounts;
using Tern.Net;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.2.2 AUTHENTICATE with PLAIN (RFC 4616), with an initial response (SASL-IR, RFC 4959).</summary>
static class AuthenticateCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var mechanism = args.Atom().ToUpperInvariant();
        string? initial = null;
        if (args.TryExpect(' '))
            initial = args.Atom();
        args.ExpectEnd();
        if (mechanism != "PLAIN")
            return ImapResult.No($"Unsupported mechanism {mechanism}", "CANNOT");
        if (!session.PlaintextAuthAllowed)
            return ImapResult.No("Use STARTTLS or port 993 first", "PRIVACYREQUIRED");

        if (initial is null)
        {
            // RFC 9051 6.2.2: an empty challenge, then one line of base64 from the client.
            await session.WriteLineAsync("+ ", cancellationToken).ConfigureAwait(false);
            var line = await session.ReadContinuationLineAsync(waitingForCommand: false, cancellationToken).ConfigureAwait(false);
            if (!line.IsLine)
            {
                if (line.Status != LineReadStatus.TooLong)
                    session.Logout();
                return ImapResult.Bad("Authentication exchange failed");
            }
            session.Connection.LogCommand("***");
            initial = Encoding.ASCII.GetString(line.Line);
            if (initial == "*")
                return ImapResult.Bad("Authentication cancelled");
        }
        byte[] decoded;
        try
        {
            // SASL-IR (RFC 4959 3): "=" stands for an empty initial response.
            decoded = initial == "=" ? [] : Convert.FromBase64String(initial);
        }
        catch (FormatException)
        {
            return ImapResult.Bad("Invalid base64");
        }
        if (!SaslPlain.TryParse(decoded, out var authorizationId, out var authenticationId, out var password))
            return ImapResult.Bad("Malformed PLAIN response");
        if (authorizationId.Length > 0 && !authorizationId.Equals(authenticationId, StringComparison.OrdinalIgnoreCase))
            return ImapResult.No("Authorisation as another user is not allowed", "AUTHORIZATIONFAILED");
        return await LoginCommand.SignInAsync(session, authenticationId, password, "AUTHENTICATE PLAIN", cancellationToken).ConfigureAwait(false);
    }
}
