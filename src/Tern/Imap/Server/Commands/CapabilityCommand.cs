namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.1.1 CAPABILITY.</summary>
static class CapabilityCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        await session.WriteLineAsync("* CAPABILITY " + session.Capabilities(), cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("CAPABILITY completed");
    }
}
