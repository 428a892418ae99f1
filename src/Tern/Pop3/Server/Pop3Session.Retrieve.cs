using System.Buffers;
using Tern.Pop3.Protocol;
using Tern.Store;

namespace Tern.Pop3.Server;

/// <summary>RETR and TOP (RFC 1939 5 and 7): the message is streamed from the store through the dot-stuffing
/// encoder in 64 KiB pieces, so a message of any size goes out without being held in memory.</summary>
sealed partial class Pop3Session
{
    const int ChunkSize = 64 * 1024;

    /// <summary>Retrieved messages are stored as \Seen in batches of this many, and at the end of the session.</summary>
    const int SeenBatch = 100;

    internal async Task RetrAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var args = command.SplitArguments();
        if (args.Count != 1)
            throw new Pop3CommandException("usage: RETR msg");
        int number = ParseMessageNumber(args[0]);
        var drop = Maildrop;
        var message = drop.Get(number);
        if (await SendMessageAsync(message, null, Pop3Reply.Ok($"{message.Size} octets"), cancellationToken))
        {
            drop.MarkRetrieved(number);
            if (drop.PendingSeenCount >= SeenBatch)
                await FlushSeenAsync(cancellationToken);
        }
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
        await SendMessageAsync(message, lines, Pop3Reply.Ok("top of message follows"), cancellationToken);
    }

    /// <summary>Opens the message before the +OK, so a store failure is still a clean -ERR; once the response has
    /// started, a read failure can only close the connection. False when the connection was closed.</summary>
    async Task<bool> SendMessageAsync(MessageInfo message, long? bodyLines, string statusLine, CancellationToken cancellationToken)
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
                        return false;
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
            await EndMultiLineAsync(cancellationToken);
            return true;
        }
    }

    /// <summary>RETR sets \Seen for IMAP. Storing the flag once per RETR would cost an index transaction per
    /// message, so retrieved messages are flagged in batches, before QUIT's UPDATE, and when the session ends in any
    /// other way (a retrieved message stays retrieved even if the client vanished afterwards). A failure (say, IMAP
    /// expunged the message meanwhile) does not fail the RETR that already succeeded; it is logged.</summary>
    async Task FlushSeenAsync(CancellationToken cancellationToken)
    {
        var drop = Maildrop;
        try
        {
            await drop.FlushSeenAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is MailStoreException || IsServerSideFault(ex))
        {
            Pop3Log.SeenFailed(connection.Logger, ex, connection.Id);
        }
    }
}
