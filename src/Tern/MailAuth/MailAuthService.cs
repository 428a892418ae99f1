using Tern.Configuration;

namespace Tern.MailAuth;

/// <summary>The mail authentication services the SMTP server uses: inbound checks and DKIM signing.</summary>
public sealed class MailAuthService(TernOptions options, InboundAuthenticator inbound, DkimSigningService signer, ArcSealer sealer)
{
    public MailAuthOptions Settings { get; } = options.MailAuth;
    public InboundAuthenticator Inbound { get; } = inbound;
    public DkimSigningService Signer { get; } = signer;
    public ArcSealer Sealer { get; } = sealer;
}
