namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.2.1 STARTTLS. The connection layer drops octets sent after the command (RFC 9051 6.2.1,
/// CVE-2011-0411) before the handshake.</summary>
static class StartTlsCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        if (session.Connection.IsSecure)
            return ImapResult.Bad("TLS is already active");
        session.ResetFramer();
        if (!await session.Connection.StartTlsAsync($"{request.Tag} OK Begin TLS negotiation now", cancellationToken).ConfigureAwait(false))
        {
            session.Logout();
            return ImapResult.Bad("TLS negotiation failed", SuppressTag);
        }
        return ImapResult.Ok("", SuppressTag);
    }

    /// <summary>Marks a result whose tagged response was already sent (STARTTLS sends it before the handshake).</summary>
    public const string SuppressTag = "\0";
}
