using Tern.Imap.Server.Notify;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 5465 NOTIFY NONE and NOTIFY SET: which store events the session is told about without asking.</summary>
static class NotifyCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        var args = request.Args;
        args.Space();
        if (args.TryKeyword("NONE"))
        {
            args.ExpectEnd();
            await session.SetNotifyAsync(null, cancellationToken).ConfigureAwait(false);
            return ImapResult.Ok("NOTIFY completed");
        }
        if (!args.TryKeyword("SET"))
            return ImapResult.Bad("Expected NOTIFY SET or NOTIFY NONE");
        var parsed = NotifyParser.ParseSet(args, session.Utf8Output);
        args.ExpectEnd();
        // RFC 5465 3.1: events the server cannot report are refused whole, listing those it can; the settings in force stay.
        if (parsed.Unsupported.Count > 0)
            return ImapResult.No("Unsupported events: " + string.Join(' ', parsed.Unsupported), $"BADEVENT ({NotifyParser.Supported})");
        var spec = parsed.Spec;
        await session.SetNotifyAsync(spec, cancellationToken).ConfigureAwait(false);
        if (spec.SendStatus)
        {
            // RFC 5465 3.1: the STATUS indicator asks for a STATUS of each mailbox watched for message events (the
            // selected one excepted, whose state the client has), before the tagged OK.
            var account = session.Account!;
            IReadOnlySet<string>? subscribed = spec.UsesSubscriptions
                ? (await account.ListSubscriptionsAsync(cancellationToken).ConfigureAwait(false)).ToHashSet(StringComparer.Ordinal)
                : null;
            var mailboxes = await account.ListMailboxesAsync(cancellationToken).ConfigureAwait(false);
            foreach (var mailbox in mailboxes.Where(m => !m.NoSelect && m.Id != session.Selected?.Id).OrderBy(m => m.Name, StringComparer.Ordinal))
            {
                if ((spec.EventsFor(mailbox.Name, subscribed) & NotifyEvents.MessageEvents) == 0)
                    continue;
                await session.WriteNotifyStatusAsync(mailbox.Name, cancellationToken).ConfigureAwait(false);
                await session.FlushIfLargeAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        return ImapResult.Ok("NOTIFY completed");
    }
}
