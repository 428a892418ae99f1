using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.3.12 APPEND with UIDPLUS APPENDUID (RFC 4315), BINARY literal8 (RFC 3516) and APPENDLIMIT
/// (RFC 7889). The message literal was already streamed to a temporary file by the framer when large.</summary>
/// <remarks><code>append = "APPEND" SP mailbox [SP flag-list] [SP date-time] SP literal</code></remarks>
static class AppendCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        args.Space();
        List<string> flags = [];
        DateTimeOffset? date = null;
        if (args.PeekIs('('))
        {
            flags = args.FlagList();
            args.Space();
        }
        if (args.PeekIs('"'))
        {
            date = args.DateTime();
            args.Space();
        }
        if (!args.PeekLiteral())
            throw new ImapParseException("Expected the message as a literal");
        var literal = args.Literal();
        args.ExpectEnd();
        if (literal.Length == 0)
            return ImapResult.No("Empty message", "CANNOT");
        var (systemFlags, keywords) = FlagText.Parse(flags);

        var account = session.Account!;
        var mailbox = await account.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false);
        if (mailbox is null || mailbox.NoSelect)
            return ImapResult.No("No such mailbox", "TRYCREATE"); // RFC 9051 6.3.12
        AppendResult result;
        var content = literal.OpenRead();
        try
        {
            result = await account.AppendAsync(name, content, new AppendOptions(systemFlags, keywords, date), cancellationToken)
                .ConfigureAwait(false);
        }
        catch (MailStoreException ex) when (ex.Error == MailStoreError.NotFound)
        {
            return ImapResult.No("No such mailbox", "TRYCREATE");
        }
        finally
        {
            if (literal.IsInMemory)
                await content.DisposeAsync().ConfigureAwait(false);
        }
        return ImapResult.Ok("APPEND completed", $"APPENDUID {result.UidValidity} {result.Uid}");
    }
}
