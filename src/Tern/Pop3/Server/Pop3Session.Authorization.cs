using System.Text;
using Tern.Accounts;
using Tern.Net;
using Tern.Pop3.Protocol;

namespace Tern.Pop3.Server;

/// <summary>AUTHORIZATION state: USER/PASS (RFC 1939 7), AUTH (RFC 5034) and the login that opens the maildrop.</summary>
sealed partial class Pop3Session
{
    const string PlaintextRefused = "Plaintext authentication disallowed on non-secure connections; use STLS or port 995";

    string? pendingUser;
    string? userForPass;

    /// <summary>Clear-text passwords (USER/PASS, SASL PLAIN and LOGIN) only inside TLS unless configured otherwise.</summary>
    bool PlaintextAllowed =>
        connection.IsSecure
        || options.Auth.AllowPlaintextAuth
        || (connection.IsLoopback && options.Auth.AllowPlaintextAuthOnLoopback);

    internal async Task UserAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        // RFC 3206 5: [AUTH] tells the client that the way the credentials are sent is the problem.
        if (!PlaintextAllowed)
            throw new Pop3CommandException(PlaintextRefused, Pop3ResponseCode.Auth);
        if (command.Arguments.Length == 0 || command.Arguments.Contains(' ', StringComparison.Ordinal))
            throw new Pop3CommandException("usage: USER name");
        pendingUser = command.Arguments;
        // RFC 1939 7: the server may say +OK whether or not the mailbox exists, so as not to reveal it.
        await WriteLineAsync(Pop3Reply.Ok("send PASS"), cancellationToken);
    }

    internal async Task PassAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        if (userForPass is null)
            throw new Pop3CommandException("send USER first");
        if (command.Arguments.Length == 0)
            throw new Pop3CommandException("usage: PASS password");
        await LoginAsync(userForPass, command.Arguments, "USER/PASS", cancellationToken);
    }

    /// <summary>RFC 5034 4: <c>AUTH mechanism [initial-response]</c>; "=" is an empty initial response and "*" from
    /// the client cancels. A bare <c>AUTH</c> lists the mechanisms (RFC 1734 clients, as Dovecot does).</summary>
    internal async Task AuthAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var args = command.SplitArguments();
        if (args.Count == 0)
        {
            BeginMultiLine(Pop3Reply.Ok("available mechanisms"));
            foreach (var mechanism in Mechanisms())
                Pop3Reply.WriteLine(connection.Output, mechanism);
            await EndMultiLineAsync(cancellationToken);
            return;
        }
        if (args.Count > 2)
            throw new Pop3CommandException("usage: AUTH mechanism [initial-response]");
        string mechanismName = args[0].ToUpperInvariant();
        if (mechanismName is not ("PLAIN" or "LOGIN"))
            throw new Pop3CommandException($"unsupported authentication mechanism {Truncate(args[0])}");
        if (!PlaintextAllowed)
            throw new Pop3CommandException(PlaintextRefused, Pop3ResponseCode.Auth);
        string? initial = args.Count == 2 ? args[1] : null;

        if (mechanismName == "PLAIN")
        {
            var response = initial ?? await ReadSaslResponseAsync("", cancellationToken);
            if (response is null)
                return;
            var decoded = DecodeBase64(response);
            if (!SaslPlain.TryParse(decoded, out var authorizationId, out var authenticationId, out var password))
                throw new Pop3CommandException("malformed PLAIN response", Pop3ResponseCode.Auth);
            // An authorisation identity other than the user itself (RFC 4616 2) is refused.
            if (authorizationId.Length > 0 && !string.Equals(authorizationId, authenticationId, StringComparison.OrdinalIgnoreCase))
                throw new Pop3CommandException("may not act as another user", Pop3ResponseCode.Auth);
            await LoginAsync(authenticationId, password, "AUTH PLAIN", cancellationToken);
        }
        else
        {
            var userResponse = initial ?? await ReadSaslResponseAsync(SaslLogin.UsernameChallenge, cancellationToken);
            if (userResponse is null)
                return;
            var user = DecodeUtf8(DecodeBase64(userResponse));
            var passwordResponse = await ReadSaslResponseAsync(SaslLogin.PasswordChallenge, cancellationToken);
            if (passwordResponse is null)
                return;
            var password = DecodeUtf8(DecodeBase64(passwordResponse));
            if (user.Length == 0 || password.Length == 0)
                throw new Pop3CommandException("empty user name or password", Pop3ResponseCode.Auth);
            await LoginAsync(user, password, "AUTH LOGIN", cancellationToken);
        }
    }

    IEnumerable<string> Mechanisms() => PlaintextAllowed ? ["PLAIN", "LOGIN"] : [];

    /// <summary>RFC 5034 4: sends a "+ challenge" and reads the client's base64 line. Null when the session ended
    /// meanwhile (the loop then stops); throws for "*" (cancel) and over-long lines.</summary>
    async Task<string?> ReadSaslResponseAsync(string challenge, CancellationToken cancellationToken)
    {
        await WriteLineAsync("+ " + challenge, cancellationToken);
        var read = await connection.ReadLineAsync(options.Pop3.MaxLineLength, waitingForCommand: false, cancellationToken);
        switch (read.Status)
        {
            case LineReadStatus.Line:
                break;
            case LineReadStatus.TooLong:
                connection.LogCommand("(over-long SASL response)");
                throw new Pop3CommandException("SASL response too long", Pop3ResponseCode.Auth);
            case LineReadStatus.TimedOut:
                closing = true;
                await WriteLineAsync(Pop3Reply.Err("autologout: idle for too long"), cancellationToken);
                return null;
            default:
                closing = true;
                return null;
        }
        var line = Encoding.ASCII.GetString(read.Line).Trim();
        connection.LogCommand(line == "*" ? "*" : "***");
        if (line == "*")
            throw new Pop3CommandException("authentication cancelled");
        return line;
    }

    static byte[] DecodeBase64(string text)
    {
        // RFC 5034 4: "=" stands for an empty initial response.
        if (text == "=")
            return [];
        try
        {
            return Convert.FromBase64String(text);
        }
        catch (FormatException)
        {
            throw new Pop3CommandException("invalid base64 data", Pop3ResponseCode.Auth);
        }
    }

    static string DecodeUtf8(byte[] bytes)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            throw new Pop3CommandException("invalid UTF-8 in SASL response", Pop3ResponseCode.Auth);
        }
    }

    /// <summary>Checks the password (the authenticator delays failures and locks out abusive addresses), then locks
    /// INBOX and takes the listing: RFC 1939 4 "the POP3 server then acquires an exclusive-access lock".</summary>
    async Task LoginAsync(string address, string password, string method, CancellationToken cancellationToken)
    {
        var result = await authenticator.AuthenticateAsync(address, password, connection.RemoteAddress, cancellationToken);
        if (!result.Succeeded || result.User is null)
        {
            Pop3Log.LoginFailed(connection.Logger, connection.Id, connection.RemoteEndPoint, address, result.Outcome.ToString());
            // A locked-out address is a temporary condition (RFC 3206 4), not a matter of new credentials.
            throw result.Outcome == AuthenticationOutcome.LockedOut
                ? new Pop3CommandException("too many failed logins from your address, try again later", Pop3ResponseCode.SysTemp)
                : new Pop3CommandException("authentication failed", Pop3ResponseCode.Auth);
        }
        var user = result.User;
        var opened = await Pop3Maildrop.OpenAsync(store, user.Id, cancellationToken);
        if (opened is null)
        {
            Pop3Log.MaildropInUse(connection.Logger, connection.Id, connection.RemoteEndPoint, user.Address);
            throw new Pop3CommandException("maildrop is locked by another POP3 session", Pop3ResponseCode.InUse);
        }
        maildrop = opened;
        userAddress = user.Address;
        state = Pop3State.Transaction;
        Pop3Log.LoggedIn(connection.Logger, connection.Id, connection.RemoteEndPoint, user.Address, method, opened.LiveCount, opened.LiveOctets);
        await WriteLineAsync(Pop3Reply.Ok($"logged in, maildrop has {opened.LiveCount} messages ({opened.LiveOctets} octets)"), cancellationToken);
    }
}
