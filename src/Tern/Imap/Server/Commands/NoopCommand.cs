namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.1.2 NOOP and 6.4.1 CHECK (RFC 3501; merged into NOOP by IMAP4rev2): the command loop then
/// announces pending mailbox changes.</summary>
static class NoopCommand
{
    public static Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        return Task.FromResult(ImapResult.Ok($"{request.Name} completed"));
    }
}
