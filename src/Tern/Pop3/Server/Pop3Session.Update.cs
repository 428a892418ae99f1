using Tern.Pop3.Protocol;

namespace Tern.Pop3.Server;

/// <summary>DELE, RSET, NOOP and QUIT (RFC 1939 5 and 6): marks, unmarks, and the UPDATE state.</summary>
sealed partial class Pop3Session
{
    internal async Task DeleAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        var args = command.SplitArguments();
        if (args.Count != 1)
            throw new Pop3CommandException("usage: DELE msg");
        int number = ParseMessageNumber(args[0]);
        // RFC 1939 5: only marked now; removed in the UPDATE state.
        Maildrop.MarkDeleted(number);
        await WriteLineAsync(Pop3Reply.Ok($"message {number} deleted"), cancellationToken);
    }

    internal async Task RsetAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Length != 0)
            throw new Pop3CommandException("usage: RSET");
        Maildrop.Reset();
        await WriteLineAsync(Pop3Reply.Ok($"maildrop has {Maildrop.LiveCount} messages ({Maildrop.LiveOctets} octets)"), cancellationToken);
    }

    internal async Task NoopAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        if (command.Arguments.Length != 0)
            throw new Pop3CommandException("usage: NOOP");
        await WriteLineAsync(Pop3Reply.Ok(""), cancellationToken);
    }

    /// <summary>RFC 1939 6: QUIT in TRANSACTION enters UPDATE and removes the marked messages; in AUTHORIZATION it
    /// just ends the session.</summary>
    internal async Task QuitAsync(Pop3Command command, CancellationToken cancellationToken)
    {
        closing = true;
        if (state != Pop3State.Transaction)
        {
            await WriteLineAsync(Pop3Reply.Ok($"{connection.HostName} Tern POP3 server signing off"), cancellationToken);
            return;
        }
        state = Pop3State.Update;
        var drop = Maildrop;
        await FlushSeenAsync(CancellationToken.None);
        try
        {
            // Not cancelled by the connection closing: a client that sends QUIT and hangs up at once has still
            // asked for the UPDATE state, and a half-done expunge helps nobody.
            int removed = await drop.CommitDeletionsAsync(CancellationToken.None);
            Pop3Log.Updated(connection.Logger, connection.Id, userAddress ?? "", removed, drop.LiveCount);
        }
        catch (Exception ex) when (ex is Store.MailStoreException || IsServerSideFault(ex) || ex is IOException)
        {
            Pop3Log.UpdateFailed(connection.Logger, ex, connection.Id, userAddress);
            await WriteLineAsync(Pop3Reply.Err("some deleted messages not removed", Pop3ResponseCode.SysTemp), cancellationToken);
            return;
        }
        await WriteLineAsync(Pop3Reply.Ok($"{connection.HostName} Tern POP3 server signing off ({drop.LiveCount} messages left)"), cancellationToken);
    }
}
