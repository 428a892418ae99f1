using System.Buffers;
using System.Data.Common;
using Microsoft.AspNetCore.Connections;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Net;
using Tern.Pop3.Protocol;
using Tern.Store;

namespace Tern.Pop3.Server;

/// <summary>One POP3 session: the RFC 1939 state machine and its command loop. Command handlers live in the
/// partial files beside this one, one per command family; errors become replies only here.</summary>
sealed partial class Pop3Session(MailConnection connection, TernOptions options, IAuthenticator authenticator, IMailStore store)
{
    Pop3State state = Pop3State.Authorization;
    Pop3Maildrop? maildrop;
    string? userAddress;
    int errors;
    bool closing;
    bool inMultiLineResponse;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // RFC 1939 4: the greeting. No APOP timestamp: APOP is not offered (docs/POP3.md).
            await WriteLineAsync(Pop3Reply.Ok($"{connection.HostName} Tern POP3 server ready"), cancellationToken);
            while (!closing)
            {
                var read = await connection.ReadLineAsync(options.Pop3.MaxLineLength, waitingForCommand: true, cancellationToken);
                switch (read.Status)
                {
                    case LineReadStatus.Closed:
                        return;
                    case LineReadStatus.TimedOut:
                        // RFC 1939 3: the autologout timer ends the session without entering UPDATE.
                        await WriteLineAsync(Pop3Reply.Err("autologout: idle for too long"), cancellationToken);
                        return;
                    case LineReadStatus.ShuttingDown:
                        await WriteLineAsync(Pop3Reply.Err("server shutting down", Pop3ResponseCode.SysTemp), cancellationToken);
                        return;
                    case LineReadStatus.TooLong:
                        connection.LogCommand("(over-long line)");
                        await FailAsync(Pop3Reply.Err($"line too long (at most {options.Pop3.MaxLineLength} octets)"), cancellationToken);
                        continue;
                }
                await ExecuteAsync(read.Line, cancellationToken);
            }
        }
        finally
        {
            if (maildrop is not null)
            {
                try
                {
                    // RFC 1939 6: a session that ends other than by QUIT never enters UPDATE: nothing is deleted.
                    if (state == Pop3State.Transaction)
                    {
                        Pop3Log.DroppedWithoutUpdate(connection.Logger, connection.Id, userAddress ?? "");
                        await FlushSeenAsync(CancellationToken.None);
                    }
                }
                finally
                {
                    await maildrop.DisposeAsync();
                }
            }
        }
    }

    async Task ExecuteAsync(byte[] line, CancellationToken cancellationToken)
    {
        if (!Pop3CommandParser.TryParse(line, out var command, out var parseError))
        {
            connection.LogCommand("(unparsable line)");
            await FailAsync(Pop3Reply.Err(parseError), cancellationToken);
            return;
        }
        connection.LogCommand(command.ToRedactedString());

        // RFC 1939 7: PASS is valid only "immediately after a successful USER command".
        string? user = pendingUser;
        pendingUser = null;
        userForPass = command.Keyword == "PASS" ? user : null;

        if (!Pop3CommandTable.Commands.TryGetValue(command.Keyword, out var entry))
        {
            await FailAsync(Pop3Reply.Err($"unknown command {command.Keyword}"), cancellationToken);
            return;
        }
        if ((entry.States & state) == 0)
        {
            string why = state == Pop3State.Authorization ? "not logged in" : "already logged in";
            await FailAsync(Pop3Reply.Err($"{command.Keyword} is not valid now: {why}"), cancellationToken);
            return;
        }

        try
        {
            await entry.Run(this, command, cancellationToken);
        }
        catch (Pop3CommandException ex) when (!inMultiLineResponse)
        {
            await FailAsync(Pop3Reply.Err(ex.Message, ex.Code), cancellationToken);
        }
        catch (MailStoreException ex) when (!inMultiLineResponse)
        {
            Pop3Log.StoreFault(connection.Logger, ex, connection.Id, command.Keyword);
            var code = ex.Error switch
            {
                MailStoreError.NotFound => Pop3ResponseCode.None,
                MailStoreError.DiskFull => Pop3ResponseCode.SysTemp,
                _ => Pop3ResponseCode.SysPerm,
            };
            await FailAsync(Pop3Reply.Err(ex.Message, code), cancellationToken);
        }
        catch (Exception ex) when (!inMultiLineResponse && IsServerSideFault(ex))
        {
            // The index or a message file failed; the client can try again later, the session goes on.
            Pop3Log.StoreFault(connection.Logger, ex, connection.Id, command.Keyword);
            await FailAsync(Pop3Reply.Err("internal error, try again later", Pop3ResponseCode.SysTemp), cancellationToken);
        }
    }

    /// <summary>Faults of the store (database, files) rather than of the client connection, which ends the session.</summary>
    static bool IsServerSideFault(Exception ex) =>
        ex is DbException or UnauthorizedAccessException or InvalidDataException or StoreIOException;

    /// <summary>An -ERR reply that counts against <see cref="Pop3Options.MaxErrors"/>; past it the session ends.</summary>
    async Task FailAsync(string reply, CancellationToken cancellationToken)
    {
        errors++;
        if (errors >= options.Pop3.MaxErrors)
        {
            Pop3Log.TooManyErrors(connection.Logger, connection.Id, connection.RemoteEndPoint, errors);
            closing = true;
            reply += " (too many errors, closing connection)";
        }
        await WriteLineAsync(reply, cancellationToken);
    }

    ValueTask WriteLineAsync(string line, CancellationToken cancellationToken) =>
        connection.WriteLineAsync(line, cancellationToken);

    /// <summary>Starts a multi-line response: writes the status line into the output without flushing.</summary>
    void BeginMultiLine(string statusLine)
    {
        connection.LogReply(statusLine);
        Pop3Reply.WriteLine(connection.Output, statusLine);
        inMultiLineResponse = true;
    }

    /// <summary>RFC 1939 3: ends a multi-line response with ".CRLF" and flushes.</summary>
    async Task EndMultiLineAsync(CancellationToken cancellationToken)
    {
        connection.Output.Write(Pop3Reply.Terminator);
        await FlushAsync(cancellationToken);
        inMultiLineResponse = false;
    }

    async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        var flush = await connection.Output.FlushAsync(cancellationToken);
        if (flush.IsCompleted || flush.IsCanceled)
            throw new ConnectionAbortedException("The client closed the connection.");
    }

    Pop3Maildrop Maildrop => maildrop ?? throw new InvalidOperationException("no maildrop outside TRANSACTION");

    int ParseMessageNumber(string text) =>
        Pop3CommandParser.TryParseMessageNumber(text, out int number)
            ? number
            : throw new Pop3CommandException($"invalid message number '{Truncate(text)}'");

    static string Truncate(string text) => text.Length <= 20 ? text : text[..20] + "...";
}

/// <summary>An I/O failure reading from the store, as opposed to the client's connection.</summary>
sealed class StoreIOException(string message, Exception inner) : Exception(message, inner);
