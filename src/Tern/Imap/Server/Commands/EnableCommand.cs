namespace Tern.Imap.Server.Commands;

/// <summary>RFC 5161 ENABLE: UTF8=ACCEPT (RFC 6855), IMAP4rev2 (RFC 9051 6.3.1), CONDSTORE and QRESYNC (RFC 7162);
/// unknown ones are ignored.</summary>
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
                // RFC 7162 3.1 / 3.2.3: ENABLE QRESYNC implies CONDSTORE, but only what was asked is listed.
                case "CONDSTORE" when !session.CondstoreEnabled:
                    session.EnableCondstore();
                    enabled.Add(cap);
                    break;
                case "QRESYNC" when !session.QresyncEnabled:
                    session.EnableQresync();
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
