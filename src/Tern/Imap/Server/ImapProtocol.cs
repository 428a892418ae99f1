using Microsoft.Extensions.DependencyInjection;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Net;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>IMAP4rev1 (RFC 3501) and IMAP4rev2 (RFC 9051) on port 143 with STARTTLS and 993 with implicit TLS (RFC 8314).</summary>
public sealed class ImapProtocol(TernOptions options, IServiceProvider services) : IMailProtocol
{
    public string Name => "imap";

    /// <summary>RFC 9051 5.4: an inactivity autologout timer of at least 30 minutes.</summary>
    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(options.Imap.IdleTimeoutSeconds);

    public string TooBusyReply(string hostName) => "* BYE Too many connections";

    public IEnumerable<MailListenerDefinition> GetListeners(TernOptions o)
    {
        if (o.Imap.Plain.Enabled)
            yield return new MailListenerDefinition("imap", "Imap:Plain:Listen", o.Imap.Plain.Listen, ImplicitTls: false, StandardPort: 143);
        if (o.Imap.Tls.Enabled)
            yield return new MailListenerDefinition("imaps", "Imap:Tls:Listen", o.Imap.Tls.Listen, ImplicitTls: true, StandardPort: 993);
    }

    public async Task RunSessionAsync(MailConnection connection, CancellationToken cancellationToken)
    {
        // Resolved on first use: a session that never logs in needs neither.
        var session = new ImapSession(connection, options,
            new Lazy<IAuthenticator>(services.GetRequiredService<IAuthenticator>),
            new Lazy<IMailStore>(services.GetRequiredService<IMailStore>));
        await using (session.ConfigureAwait(false))
            await session.RunAsync(cancellationToken).ConfigureAwait(false);
    }
}
