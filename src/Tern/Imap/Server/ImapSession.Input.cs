using System.Buffers;
using Tern.Imap.Protocol;
using Tern.Net;

namespace Tern.Imap.Server;

public sealed partial class ImapSession
{
    /// <summary>Literals held in memory per command; larger ones (APPEND messages) go to a temporary file.</summary>
    const long InMemoryLiteralBudget = 256 * 1024;

    readonly record struct CommandRead(RawCommand? Command, LineReadStatus? Status);

    /// <summary>Reads one command with its literals (RFC 9051 4.3, 7.5; RFC 7888). Literal sizes are checked when announced,
    /// before any data is read: a synchronising literal over the limit gets a tagged NO [TOOBIG] instead of "+", and
    /// the client abandons the command; a non-synchronising one gets BAD and the connection is closed (RFC 7888 4).</summary>
    async Task<CommandRead> ReadCommandAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = Connection.ReadAsync(waitingForCommand: !framer.InCommand, cancellationToken);
            var (result, status) = Notify is not null && !framer.InCommand
                ? await ReadNotifyingAsync(read.AsTask(), cancellationToken).ConfigureAwait(false)
                : await read.ConfigureAwait(false);
            if (status is { } s)
                return new CommandRead(null, s);
            var input = Connection.Input;
            var buffer = result.Buffer;
            var step = Step(buffer, out var consumed, out var examined);
            input.AdvanceTo(consumed, examined);
            switch (step.Status)
            {
                case FrameStatus.NeedMore:
                    if (result.IsCompleted)
                        return new CommandRead(null, LineReadStatus.Closed);
                    continue;
                case FrameStatus.Complete:
                    return new CommandRead(step.Command, null);
                case FrameStatus.LineTooLong:
                    errors++;
                    await WriteLineAsync($"{step.TagHint ?? "*"} BAD Command line too long", cancellationToken).ConfigureAwait(false);
                    return new CommandRead(null, null);
                case FrameStatus.LiteralAnnounced:
                {
                    var outcome = await OnLiteralAnnouncedAsync(step, cancellationToken).ConfigureAwait(false);
                    if (outcome is not null)
                        return outcome.Value;
                    continue;
                }
            }
        }
    }

    /// <summary>RFC 5465 3: while the session waits for a command (none has begun to arrive), NOTIFY events are sent as
    /// they come. Only this flow writes to the connection meanwhile; the pending read only reads, so no response is ever
    /// interleaved with another.</summary>
    async Task<(System.IO.Pipelines.ReadResult Result, LineReadStatus? Status)> ReadNotifyingAsync(
        Task<(System.IO.Pipelines.ReadResult Result, LineReadStatus? Status)> read, CancellationToken cancellationToken)
    {
        while (!read.IsCompleted && Notify is not null)
        {
            var woke = await Task.WhenAny(read, WaitForNotificationAsync()).ConfigureAwait(false);
            if (woke == read)
                break;
            await SendNotificationsAsync(betweenCommands: true, cancellationToken).ConfigureAwait(false);
            if (State == ImapState.Logout)
                return (default, LineReadStatus.Closed); // the selected mailbox was deleted: BYE was sent
        }
        return await read.ConfigureAwait(false);
    }

    /// <summary>Runs the framer over what has arrived; literal octets kept in a file are written synchronously here
    /// (a temporary file, before the buffer is released).</summary>
    FrameResult Step(ReadOnlySequence<byte> buffer, out SequencePosition consumed, out SequencePosition examined)
    {
        var reader = new SequenceReader<byte>(buffer);
        while (true)
        {
            var r = framer.Read(ref reader);
            if (r.Status == FrameStatus.LiteralData)
            {
                foreach (var segment in r.Data)
                    spillTarget!.Write(segment.Span);
                continue;
            }
            consumed = reader.Position;
            // Not everything examined yet when more may be parsed without new input.
            examined = r.Status == FrameStatus.NeedMore ? buffer.End : reader.Position;
            return r;
        }
    }

    Stream? spillTarget;

    async Task<CommandRead?> OnLiteralAnnouncedAsync(FrameResult step, CancellationToken cancellationToken)
    {
        long limit = Options.Imap.MaxLiteralSize;
        if (step.LiteralSize > limit)
        {
            ImapLog.LiteralTooLarge(Connection.Logger, Id, step.LiteralSize, limit);
            framer.Reset();
            errors++;
            var tag = step.TagHint ?? "*";
            if (step.NonSynchronizing)
            {
                // RFC 7888 4: the octets are on their way; reading them to throw them away could take long, so close.
                await WriteLineAsync($"{tag} BAD [TOOBIG] Literal too large", cancellationToken).ConfigureAwait(false);
                await WriteLineAsync("* BYE Literal too large", cancellationToken).ConfigureAwait(false);
                return new CommandRead(null, LineReadStatus.Closed);
            }
            // RFC 7889 4 (APPENDLIMIT) and RFC 9051 7.5: refuse instead of "+"; the client does not send the data.
            await WriteLineAsync($"{tag} NO [TOOBIG] Literal too large (limit {limit} octets)", cancellationToken).ConfigureAwait(false);
            return new CommandRead(null, null);
        }
        if (framer.InMemoryLiteralBytes + step.LiteralSize <= InMemoryLiteralBudget)
        {
            framer.AcceptLiteral(null);
        }
        else
        {
            var path = Path.Combine(Path.GetTempPath(), "tern-imap-" + Guid.NewGuid().ToString("N"));
            spillTarget = new FileStream(path, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 64 * 1024,
                FileOptions.DeleteOnClose);
            framer.AcceptLiteral(ImapLiteral.Spilled(spillTarget, step.LiteralSize, step.Binary));
        }
        if (!step.NonSynchronizing)
            await WriteLineAsync("+ Ready for literal data", cancellationToken).ConfigureAwait(false);
        return null;
    }

    /// <summary>Reads one line inside a command (AUTHENTICATE responses, IDLE's DONE).</summary>
    public ValueTask<LineReadResult> ReadContinuationLineAsync(bool waitingForCommand, CancellationToken cancellationToken) =>
        Connection.ReadLineAsync(Options.Imap.MaxLineLength, waitingForCommand, cancellationToken);
}
