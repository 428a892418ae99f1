using Microsoft.Extensions.DependencyInjection;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Net;
using Tern.Store;

namespace Tern.Pop3.Server;

/// <summary>The POP3 server (RFC 1939): port 110 with STLS and port 995 with implicit TLS (RFC 8314).</summary>
public sealed class Pop3Protocol(TernOptions options, IServiceProvider services) : IMailProtocol
{
    public string Name => "pop3";

    /// <summary>RFC 1939 3: "an autologout timer ... of at least 10 minutes".</summary>
    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(options.Pop3.IdleTimeoutSeconds);

    public IEnumerable<MailListenerDefinition> GetListeners(TernOptions options)
    {
        if (options.Pop3.Plain.Enabled)
            yield return new MailListenerDefinition("pop3", "Pop3:Plain:Listen", options.Pop3.Plain.Listen, ImplicitTls: false, StandardPort: 110);
        if (options.Pop3.Tls.Enabled)
            yield return new MailListenerDefinition("pop3s", "Pop3:Tls:Listen", options.Pop3.Tls.Listen, ImplicitTls: true, StandardPort: 995);
    }

    /// <summary>RFC 3206 4: a temporary condition, so SYS/TEMP.</summary>
    public string TooBusyReply(string hostName) => "-ERR [SYS/TEMP] too many connections, try again later";

    public Task RunSessionAsync(MailConnection connection, CancellationToken cancellationToken)
    {
        // Resolved per session rather than in the constructor: the host builds every protocol while binding
        // listeners, and the account and store services need not exist for that.
        var session = new Pop3Session(
            connection, options, services.GetRequiredService<IAuthenticator>(), services.GetRequiredService<IMailStore>());
        return session.RunAsync(cancellationToken);
    }
}
