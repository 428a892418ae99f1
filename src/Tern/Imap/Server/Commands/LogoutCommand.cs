namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.1.3 LOGOUT: untagged BYE, then the tagged OK, then the connection closes.</summary>
static class LogoutCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        await session.WriteLineAsync("* BYE Logging out", cancellationToken).ConfigureAwait(false);
        session.Logout();
        return ImapResult.Ok("LOGOUT completed");
    }
}
