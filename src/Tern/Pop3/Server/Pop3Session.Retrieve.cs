using System.Buffers;
using Tern.Pop3.Protocol;
using Tern.Store;

namespace Tern.Pop3.Server;

/// <summary>RETR and TOP (RFC 1939 5 and 7): the message is streamed from the store through the dot-stuffing
/// encoder in 64 KiB pieces, so a message of any size goes out without being held in memory.</summary>
sealed partial class Pop3Session
{
    const int ChunkSize = 64 * 1024;

    internal async Task RetrAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var args = command.SplitArguments();
        if (args.Count != 1)
            throw new Pop3CommandException("usage: RETR msg");
        int number = ParseMessageNumber(args[0]);
        var drop = Maildrop;
        var message = drop.Get(number);
        await SendMessageAsync(message, null, Pop3Reply.Ok($"{message.Size} octets"), number, cancellationToken);
    }

    internal async Task TopAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var args = command.SplitArguments();
        if (args.Count != 2)
            throw new Pop3CommandException("usage: TOP msg n");
        int number = ParseMessageNumber(args[0]);
        if (!Pop3CommandParser.TryParseLineCount(args[1], out long lines))
            throw new Pop3CommandException($"invalid number of lines '{Truncate(args[1])}'");
        var message = Maildrop.Get(number);
        // TOP does not set \Seen: clients use it to preview headers (as Dovecot does).
        await SendMessageAsync(message, lines, Pop3Reply.Ok("top of message follows"), null, cancellationToken);
    }

    /// <summary>Opens the message before the +OK, so a store failure is still a clean -ERR; once the response has
    /// started, a read failure can only close the connection.</summary>
    /// <param name="markSeen">For RETR, the message number to set \Seen on once the whole message is written and
    /// before the terminating line, so that a client that has the message can count on the flag being stored.</param>
    async Task SendMessageAsync(MessageInfo message, long? bodyLines, string statusLine, int? markSeen, CancellationToken cancellationToken)
    {
        var drop = Maildrop;
        Stream stream;
        try
        {
            stream = await drop.Account.OpenMessageAsync(drop.Mailbox.Id, message.Uid, cancellationToken);
        }
        catch (IOException ex)
        {
            throw new StoreIOException($"cannot open UID {message.Uid}", ex);
        }
        await using (stream)
        {
            BeginMultiLine(statusLine);
            var encoder = new Pop3MessageEncoder(bodyLines);
            var buffer = ArrayPool<byte>.Shared.Rent(ChunkSize);
            try
            {
                while (true)
                {
                    int read;
                    try
                    {
                        read = await stream.ReadAsync(buffer.AsMemory(0, ChunkSize), cancellationToken);
                    }
                    catch (IOException ex)
                    {
                        Pop3Log.MessageReadFailed(connection.Logger, ex, connection.Id, message.Uid);
                        closing = true;
                        connection.Abort();
                        return;
                    }
                    if (read == 0)
                        break;
                    bool more = encoder.Encode(buffer.AsSpan(0, read), connection.Output);
                    await FlushAsync(cancellationToken);
                    if (!more)
                        break;
                }
                encoder.Complete(connection.Output);
            }
            finally
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
            if (markSeen is { } number && drop.ClaimSeen(number))
                await MarkSeenAsync(message.Uid, cancellationToken);
            await EndMultiLineAsync(cancellationToken);
        }
    }

    /// <summary>RETR sets \Seen for IMAP. A failure (the message was expunged by IMAP meanwhile) does not fail the
    /// RETR that already succeeded; it is logged.</summary>
    async Task MarkSeenAsync(long uid, CancellationToken cancellationToken)
    {
        var drop = Maildrop;
        try
        {
            await drop.Account.StoreFlagsAsync(
                drop.Mailbox.Id, UidSet.Of(uid), new FlagChange(FlagOperation.Add, MessageFlags.Seen, []), cancellationToken);
        }
        catch (Exception ex) when (ex is MailStoreException || IsServerSideFault(ex))
        {
            Pop3Log.SeenFailed(connection.Logger, ex, connection.Id, uid);
        }
    }
}
