using System.Globalization;
using Tern.Net;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

sealed partial class SmtpSession
{
    /// <summary>BDAT (RFC 3030 2): exactly <c>size</c> octets follow the command, always consumed, even when the command
    /// is refused, so they are never read as commands. Replies per chunk; the LAST chunk gets the message's reply.</summary>
    async Task<SmtpReply?> BdatAsync(SmtpCommand command, CancellationToken cancellationToken)
    {
        var parts = command.Argument.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length is < 1 or > 2 || parts[0].Length > 18 || !parts[0].All(char.IsAsciiDigit)
            || !long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
            || (parts.Length == 2 && !parts[1].Equals("LAST", StringComparison.OrdinalIgnoreCase)))
        {
            // Without a size we cannot tell where the chunk ends: the byte stream is out of step, so close.
            return Close(new SmtpReply(501, "5.5.4", "Syntax: BDAT chunk-size [LAST]"), "BDAT syntax error");
        }
        bool last = parts.Length == 2;

        if (SmtpStateTable.Check(SmtpVerb.Bdat, state) is { } refusal)
        {
            if (!await ReadChunkAsync(size, null, cancellationToken).ConfigureAwait(false))
                return null;
            return refusal;
        }

        var tx = transaction!;
        tx.Chunks ??= await StartIntakeAsync(tx, dotTransparency: false, cancellationToken).ConfigureAwait(false);
        state = SmtpState.Bdat;
        bool complete;
        try { complete = await ReadChunkAsync(size, tx.Chunks, cancellationToken).ConfigureAwait(false); }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { complete = false; }
        if (!complete)
            return await AbortMessageAsync(LineReadStatus.Closed).ConfigureAwait(false);

        if (tx.Chunks.TooBig)
        {
            // RFC 3030 2: after a failed chunk the client sends no more; any it pipelined get 503 (after being read).
            await ResetTransactionAsync().ConfigureAwait(false);
            return new SmtpReply(552, "5.3.4", "Message size exceeds fixed maximum message size");
        }
        if (!last)
            return new SmtpReply(250, "2.0.0", $"{size} octets received");

        await tx.Chunks.FinishAsync(cancellationToken).ConfigureAwait(false);
        var reply = await FinishMessageAsync(tx, tx.Chunks, cancellationToken).ConfigureAwait(false);
        await ResetTransactionAsync().ConfigureAwait(false);
        return reply;
    }

    /// <summary>Reads exactly <paramref name="size"/> octets into <paramref name="intake"/> (or discards them).
    /// False when the client went away first.</summary>
    async Task<bool> ReadChunkAsync(long size, MessageIntake? intake, CancellationToken cancellationToken)
    {
        long remaining = size;
        while (remaining > 0)
        {
            var (result, status) = await connection.ReadAsync(waitingForCommand: false, cancellationToken).ConfigureAwait(false);
            if (status is not null)
                return false;
            var buffer = result.Buffer;
            var slice = buffer.Slice(0, Math.Min(remaining, buffer.Length));
            if (intake is not null)
                await intake.FeedAsync(slice, cancellationToken).ConfigureAwait(false);
            remaining -= slice.Length;
            connection.Input.AdvanceTo(slice.End);
            if (result.IsCompleted && remaining > 0)
                return false;
        }
        return true;
    }
}
