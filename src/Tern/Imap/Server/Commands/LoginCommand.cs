using Tern.Accounts;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.2.3 LOGIN: refused without TLS unless configured (LOGINDISABLED is then advertised, RFC 9051 6.2.3);
/// failures are delayed and rate-limited per client address by the authenticator.</summary>
static class LoginCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var user = args.AString();
        args.Space();
        var password = args.AString();
        args.ExpectEnd();
        if (!session.PlaintextAuthAllowed)
            return ImapResult.No("Use STARTTLS or port 993 first", "PRIVACYREQUIRED");
        return await SignInAsync(session, user, password, "LOGIN", cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Shared by LOGIN and AUTHENTICATE PLAIN.</summary>
    public static async Task<ImapResult> SignInAsync(
        ImapSession session, string user, string password, string mechanism, CancellationToken cancellationToken)
    {
        var result = await session.Authenticator.AuthenticateAsync(user, password, session.Connection.RemoteAddress, cancellationToken)
            .ConfigureAwait(false);
        if (!result.Succeeded || result.User is null)
        {
            ImapLog.LoginFailed(session.Connection.Logger, session.Id, user, result.Outcome.ToString());
            return result.Outcome == AuthenticationOutcome.LockedOut
                ? ImapResult.No("Too many failed logins; try again later", "UNAVAILABLE")
                : ImapResult.No("Invalid credentials", "AUTHENTICATIONFAILED");
        }
        await session.SignInAsync(result.User, mechanism, cancellationToken).ConfigureAwait(false);
        // RFC 9051 6.2.3: the capabilities may change after login; send them in the tagged OK.
        return ImapResult.Ok("Logged in", "CAPABILITY " + session.Capabilities());
    }
}
