using Tern.Configuration;

namespace Tern.Net;

/// <summary>One protocol server (SMTP, POP3, IMAP): the listeners it wants and the session it runs on a connection.
/// Register implementations as <c>IMailProtocol</c> singletons; the host binds every listener with Kestrel.</summary>
public interface IMailProtocol
{
    /// <summary>"smtp", "pop3" or "imap".</summary>
    string Name { get; }

    /// <summary>The listeners this protocol wants, from configuration (disabled ones left out).</summary>
    IEnumerable<MailListenerDefinition> GetListeners(TernOptions options);

    /// <summary>Idle timeout between commands (RFC 5321 4.5.3.2, RFC 1939 3, RFC 9051 5.4).</summary>
    TimeSpan IdleTimeout { get; }

    /// <summary>The reply sent when connection limits refuse a client ("421 ...", "-ERR [SYS/TEMP] ...", "* BYE ...").</summary>
    string TooBusyReply(string hostName);

    /// <summary>Runs one session to its end. Exceptions other than connection resets are logged as session faults.</summary>
    Task RunSessionAsync(MailConnection connection, CancellationToken cancellationToken);
}

/// <summary>A listener role and the addresses it binds.</summary>
/// <param name="Role">"smtp-mx", "smtp-submission", "smtp-submissions", "pop3", "pop3s", "imap", "imaps".</param>
/// <param name="ConfigKey">The setting that holds its addresses, named in errors ("Smtp:Mx:Listen").</param>
/// <param name="Listen">Addresses such as "*:25", "127.0.0.1:0", "[::1]:993".</param>
/// <param name="ImplicitTls">TLS from the first byte (465, 995, 993).</param>
/// <param name="StandardPort">The port of the role's standard (25, 587...), used for the non-root fallback.</param>
public sealed record MailListenerDefinition(
    string Role, string ConfigKey, IReadOnlyList<string> Listen, bool ImplicitTls, int StandardPort);
