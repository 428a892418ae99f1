namespace Tern.Imap.Server.Commands;

/// <summary>RFC 5161 ENABLE: UTF8=ACCEPT (RFC 6855) and IMAP4rev2 (RFC 9051 6.3.1); unknown ones are ignored.</summary>
static class EnableCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        var enabled = new List<string>();
        do
        {
            args.Space();
            var cap = args.Atom().ToUpperInvariant();
            switch (cap)
            {
                case "UTF8=ACCEPT" when !session.Utf8Enabled:
                    session.Utf8Enabled = true;
                    enabled.Add(cap);
                    break;
                case "IMAP4REV2" when !session.Rev2Enabled:
                    session.Rev2Enabled = true;
                    enabled.Add("IMAP4rev2");
                    break;
            }
        }
        while (!args.AtEnd);
        await session.WriteLineAsync("* ENABLED" + string.Concat(enabled.Select(e => " " + e)), cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("ENABLE completed");
    }
}
