namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.4.1 CLOSE (expunges silently unless read-only) and RFC 3691 UNSELECT (does not).</summary>
static class CloseCommand
{
    public static async Task<ImapResult> CloseAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        var selected = session.Selected!;
        session.Unselect();
        if (!selected.ReadOnly)
            await session.Account!.ExpungeAsync(selected.Id, null, cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("CLOSE completed");
    }

    public static Task<ImapResult> UnselectAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        session.Unselect();
        return Task.FromResult(ImapResult.Ok("UNSELECT completed"));
    }
}
