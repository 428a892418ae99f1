using System.Text;
using Tern.Net;

namespace Tern.Imap.Server.Commands;

/// <summary>RFC 2177 IDLE (RFC 9051 6.3.13): changes to the selected mailbox are sent as they happen until "DONE".</summary>
static class IdleCommand
{
    public static async Task<ImapResult> ExecuteAsync(ImapSession session, ImapRequest request, CancellationToken cancellationToken)
    {
        request.Args.ExpectEnd();
        await session.WriteLineAsync("+ idling", cancellationToken).ConfigureAwait(false);
        var read = session.ReadContinuationLineAsync(waitingForCommand: true, cancellationToken).AsTask();
        while (true)
        {
            var selected = session.Selected;
            if (selected is not null)
                await session.SendUpdatesAsync(expungeAllowed: true, cancellationToken).ConfigureAwait(false);
            if (session.State == ImapState.Logout)
                return ImapResult.Ok("IDLE terminated");
            // RFC 5465 3: with NOTIFY, events about other mailboxes wake IDLE too.
            if (session.Notify is not null)
            {
                await session.SendNotificationsAsync(betweenCommands: false, cancellationToken).ConfigureAwait(false);
                if (session.State == ImapState.Logout)
                    return ImapResult.Ok("IDLE terminated");
            }
            var changed = selected?.WaitForChangeAsync() ?? Task.Delay(Timeout.Infinite, cancellationToken);
            if (session.Notify is not null)
                changed = Task.WhenAny(changed, session.WaitForNotificationAsync());
            var done = await Task.WhenAny(read, changed).ConfigureAwait(false);
            if (done != read)
                continue;
            var line = await read.ConfigureAwait(false);
            switch (line.Status)
            {
                case LineReadStatus.Line:
                    session.Connection.LogCommand(Encoding.ASCII.GetString(line.Line));
                    return Encoding.ASCII.GetString(line.Line).Equals("DONE", StringComparison.OrdinalIgnoreCase)
                        ? ImapResult.Ok("IDLE terminated")
                        : ImapResult.Bad("Expected DONE");
                case LineReadStatus.TooLong:
                    return ImapResult.Bad("Expected DONE");
                case LineReadStatus.TimedOut:
                    await session.WriteLineAsync("* BYE Autologout; idle for too long", cancellationToken).ConfigureAwait(false);
                    session.Logout();
                    return ImapResult.Ok("IDLE terminated");
                case LineReadStatus.ShuttingDown:
                    await session.WriteLineAsync("* BYE Server shutting down", cancellationToken).ConfigureAwait(false);
                    session.Logout();
                    return ImapResult.Ok("IDLE terminated");
                default:
                    session.Logout();
                    return ImapResult.Ok("IDLE terminated");
            }
        }
    }
}
