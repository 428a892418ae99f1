namespace Tern.Imap.Server.Commands;

/// <summary>RFC 2342 NAMESPACE: one personal namespace with "/" as separator, no shared or other users' ones.</summary>
static class NamespaceCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        await session.WriteLineAsync("* NAMESPACE ((\"\" \"/\")) NIL NIL", cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("NAMESPACE completed");
    }
}
