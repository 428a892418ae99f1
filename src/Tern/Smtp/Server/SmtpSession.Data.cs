using Tern.Net;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

sealed partial class SmtpSession
{
    /// <summary>DATA (RFC 5321 4.1.1.4): 354, then the content streamed to the queue until CRLF.CRLF, then one reply.</summary>
    async Task<SmtpReply?> DataAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        if (command.Argument.Length > 0)
            return new SmtpReply(501, "5.5.4", "Syntax: DATA");
        var tx = transaction!;
        await using var intake = await StartIntakeAsync(tx, dotTransparency: true, cancellationToken).ConfigureAwait(false);
        await SendAsync(new SmtpReply(354, null, "End data with <CR><LF>.<CR><LF>"), cancellationToken, flush: true).ConfigureAwait(false);

        try
        {
            while (!intake.Completed)
            {
                var (result, status) = await connection.ReadAsync(waitingForCommand: false, cancellationToken).ConfigureAwait(false);
                if (status is { } failure)
                    return await AbortMessageAsync(failure).ConfigureAwait(false);
                var buffer = result.Buffer;
                long consumed = await intake.FeedAsync(buffer, cancellationToken).ConfigureAwait(false);
                var position = buffer.GetPosition(consumed);
                connection.Input.AdvanceTo(position, intake.Completed ? position : buffer.End);
                if (result.IsCompleted && !intake.Completed)
                    return await AbortMessageAsync(LineReadStatus.Closed).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Kestrel signals a reset connection through the session token.
            return await AbortMessageAsync(LineReadStatus.Closed).ConfigureAwait(false);
        }

        var reply = await FinishMessageAsync(tx, intake, cancellationToken).ConfigureAwait(false);
        await ResetTransactionAsync().ConfigureAwait(false);
        return reply;
    }

    /// <summary>The client vanished or timed out mid-message: the partial queue file is deleted (by the intake's
    /// dispose), nothing is queued, and the session ends.</summary>
    async Task<SmtpReply?> AbortMessageAsync(LineReadStatus status)
    {
        SmtpLog.DisconnectedMidData(logger, connection.Id, connection.RemoteEndPoint);
        await ResetTransactionAsync().ConfigureAwait(false);
        return status == LineReadStatus.TimedOut
            ? Close(new SmtpReply(421, "4.4.2", $"{Host} Timeout, closing connection"), "timeout in message data")
            : null;
    }
}
