using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 9051 6.3.9 LIST with LIST-EXTENDED (RFC 5258), CHILDREN (RFC 3348), SPECIAL-USE (RFC 6154) and
/// LIST-STATUS (RFC 5819); RFC 3501 6.3.9 LSUB.</summary>
static class ListCommand
{
    sealed class Options
    {
        public bool SelectSubscribed, SelectSpecialUse, ReturnSubscribed, ReturnSpecialUse;
        public List<string>? StatusItems;
    }

    public static async Task<ImapResult> ListAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        var options = new Options();
        args.Space();
        bool extended = false;
        if (args.TryOpenList())
        {
            extended = true;
            ReadSelectOptions(args, options);
            args.Space();
        }
        var reference = MailboxNames.FromWire(args.AString(), session.Utf8Output);
        args.Space();
        var patterns = new List<string>();
        if (args.TryOpenList())
        {
            extended = true;
            while (true)
            {
                patterns.Add(args.ListMailbox());
                if (patterns.Count > 100)
                    throw new ImapParseException("Too many patterns");
                if (args.TryCloseList())
                    break;
                args.Space();
            }
        }
        else
        {
            patterns.Add(args.ListMailbox());
        }
        if (args.TryExpect(' '))
        {
            if (!args.TryKeyword("RETURN"))
                throw new ImapParseException("Expected RETURN");
            extended = true;
            args.Space();
            ReadReturnOptions(args, options);
        }
        args.ExpectEnd();

        // RFC 9051 6.3.9: an empty pattern asks for the hierarchy delimiter.
        if (patterns.Count == 1 && patterns[0].Length == 0)
        {
            await session.WriteLineAsync("* LIST (\\Noselect) \"/\" \"\"", cancellationToken).ConfigureAwait(false);
            return ImapResult.Ok("LIST completed");
        }
        var matchers = patterns.Select(p => new ListPattern(reference, MailboxNames.FromWire(p, session.Utf8Output))).ToList();
        var account = session.Account!;
        var mailboxes = await account.ListMailboxesAsync(cancellationToken).ConfigureAwait(false);
        var byName = mailboxes.ToDictionary(m => m.Name, StringComparer.Ordinal);
        IEnumerable<string> candidates = mailboxes.Select(m => m.Name);
        if (options.SelectSubscribed)
        {
            var subscribed = await account.ListSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
            candidates = subscribed;
        }
        foreach (var name in candidates.Where(n => matchers.Any(m => m.Matches(n))).Order(StringComparer.Ordinal))
        {
            byName.TryGetValue(name, out var info);
            if (options.SelectSpecialUse && (info is null || info.SpecialUse == SpecialUse.None))
                continue;
            var attributes = Attributes(info, extended, options.SelectSubscribed || options.ReturnSubscribed);
            session.Writer.Raw("* LIST (").Raw(attributes).Raw(") \"/\" ").Mailbox(name).Crlf();
            session.Connection.LogReply($"* LIST ({attributes}) \"/\" {name}");
            if (options.StatusItems is not null && info is not null && !info.NoSelect)
                await StatusCommand.WriteStatusAsync(session, name, options.StatusItems, cancellationToken).ConfigureAwait(false);
            await session.FlushIfLargeAsync(cancellationToken).ConfigureAwait(false);
        }
        return ImapResult.Ok("LIST completed");
    }

    public static async Task<ImapResult> LsubAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        var reference = MailboxNames.FromWire(args.AString(), session.Utf8Output);
        args.Space();
        var pattern = new ListPattern(reference, MailboxNames.FromWire(args.ListMailbox(), session.Utf8Output));
        args.ExpectEnd();
        var account = session.Account!;
        var subscribed = await account.ListSubscriptionsAsync(cancellationToken).ConfigureAwait(false);
        var existing = (await account.ListMailboxesAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(m => m.Name);
        foreach (var name in subscribed.Where(pattern.Matches).Order(StringComparer.Ordinal))
        {
            var attrs = existing.TryGetValue(name, out var info) && !info.NoSelect ? "" : "\\Noselect";
            session.Writer.Raw($"* LSUB ({attrs}) \"/\" ").Mailbox(name).Crlf();
        }
        return ImapResult.Ok("LSUB completed");
    }

    internal static string Attributes(MailboxInfo? info, bool extended, bool showSubscribed)
    {
        var attrs = new List<string>();
        if (info is null)
        {
            attrs.Add(extended ? "\\NonExistent" : "\\Noselect");
        }
        else
        {
            if (info.NoSelect)
                attrs.Add("\\Noselect");
            attrs.Add(info.HasChildren ? "\\HasChildren" : "\\HasNoChildren");
            if (info.SpecialUse != SpecialUse.None)
                attrs.Add("\\" + info.SpecialUse);
        }
        if (showSubscribed && (info is null || info.Subscribed))
            attrs.Add("\\Subscribed");
        return string.Join(' ', attrs);
    }

    static void ReadSelectOptions(ImapArgumentReader args, Options options)
    {
        if (args.TryCloseList())
            return;
        while (true)
        {
            var option = args.Atom().ToUpperInvariant();
            switch (option)
            {
                case "SUBSCRIBED": options.SelectSubscribed = true; break;
                case "SPECIAL-USE": options.SelectSpecialUse = true; break;
                case "REMOTE" or "RECURSIVEMATCH": break;
                default: throw new ImapParseException($"Unknown LIST selection option {option}");
            }
            if (args.TryCloseList())
                return;
            args.Space();
        }
    }

    static void ReadReturnOptions(ImapArgumentReader args, Options options)
    {
        args.OpenList();
        if (args.TryCloseList())
            return;
        while (true)
        {
            var option = args.Atom().ToUpperInvariant();
            switch (option)
            {
                case "SUBSCRIBED": options.ReturnSubscribed = true; break;
                case "SPECIAL-USE": options.ReturnSpecialUse = true; break;
                case "CHILDREN": break; // always returned (RFC 3348)
                case "STATUS":
                    args.Space();
                    options.StatusItems = StatusCommand.ReadItems(args);
                    break;
                default: throw new ImapParseException($"Unknown LIST return option {option}");
            }
            if (args.TryCloseList())
                return;
            args.Space();
        }
    }
}
