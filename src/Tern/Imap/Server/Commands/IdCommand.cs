namespace Tern.Imap.Server.Commands;

/// <summary>RFC 2971 ID: the client's fields are read (at most 30 pairs) and ignored; the server names itself.</summary>
static class IdCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        if (!args.TryKeyword("NIL"))
        {
            args.OpenList();
            int pairs = 0;
            if (!args.TryCloseList())
            {
                while (true)
                {
                    args.String();
                    args.Space();
                    args.NString();
                    if (++pairs > 30)
                        throw new Tern.Imap.Protocol.ImapParseException("Too many ID fields (RFC 2971 3.3)");
                    if (args.TryCloseList())
                        break;
                    args.Space();
                }
            }
        }
        args.ExpectEnd();
        await session.WriteLineAsync("* ID (\"name\" \"Tern\" \"vendor\" \"Tern\")", cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("ID completed");
    }
}
