using Tern.Imap.Protocol;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.3.11 STATUS, with SIZE (RFC 8438), DELETED (RFC 9051) and APPENDLIMIT (RFC 7889) and
/// HIGHESTMODSEQ (RFC 7162 3.1.6) and MAILBOXID (RFC 8474 4.2).</summary>
static class StatusCommand
{
    static readonly HashSet<string> Known = ["MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN", "SIZE", "DELETED", "APPENDLIMIT", "HIGHESTMODSEQ", "MAILBOXID"];

    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var name = MailboxNames.Read(args, session.Utf8Output);
        args.Space();
        var items = ReadItems(args);
        args.ExpectEnd();
        if (items.Contains("HIGHESTMODSEQ"))
            session.EnableCondstore(); // RFC 7162 3.1
        if (await session.Account!.GetMailboxAsync(name, cancellationToken).ConfigureAwait(false) is not { NoSelect: false })
            return ImapResult.No("No such mailbox", "NONEXISTENT");
        await WriteStatusAsync(session, name, items, cancellationToken).ConfigureAwait(false);
        return ImapResult.Ok("STATUS completed");
    }

    public static List<string> ReadItems(ImapArgumentReader args)
    {
        args.OpenList();
        var items = new List<string>();
        while (true)
        {
            var item = args.Atom().ToUpperInvariant();
            if (!Known.Contains(item))
                throw new ImapParseException($"Unknown STATUS item {item}");
            items.Add(item);
            if (args.TryCloseList())
                return items;
            args.Space();
        }
    }

    public static async Task WriteStatusAsync(ImapSession session, string name, List<string> items, CancellationToken cancellationToken)
    {
        var status = await session.Account!.GetStatusAsync(name, cancellationToken).ConfigureAwait(false);
        var parts = items.Select(item => item + " " + (item switch
        {
            "MESSAGES" => status.Messages,
            "RECENT" => status.Recent,
            "UIDNEXT" => status.Mailbox.UidNext,
            "UIDVALIDITY" => status.Mailbox.UidValidity,
            "UNSEEN" => status.Unseen,
            "SIZE" => status.Size,
            "DELETED" => status.Deleted,
            "HIGHESTMODSEQ" => status.Mailbox.HighestModSeq, // RFC 7162 3.1.6
            "MAILBOXID" => $"({ObjectIds.MailboxId(status.Mailbox)})", // RFC 8474 4.2
            _ => session.Options.Imap.MaxLiteralSize,
        }));
        var text = string.Join(' ', parts);
        session.Writer.Raw("* STATUS ").Mailbox(name).Raw(" (").Raw(text).Raw(")").Crlf();
        session.Connection.LogReply($"* STATUS {name} ({text})");
    }
}
