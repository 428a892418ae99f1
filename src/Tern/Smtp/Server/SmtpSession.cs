using System.Buffers;
using System.Text;
using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Configuration;
using Tern.MailAuth;
using Tern.Net;
using Tern.Queue;
using Tern.Smtp.Protocol;

namespace Tern.Smtp.Server;

/// <summary>One SMTP session: the command loop (the one place where replies are written and errors counted) and the
/// session state. Each command family lives in its own partial file (SmtpSession.Mail.cs, ...).</summary>
sealed partial class SmtpSession(
    MailConnection connection, TernOptions options, QueueStore queue, IAccountStore accounts,
    IAuthenticator authenticator, MailAuthService mailAuth, ILogger logger)
{
    readonly SmtpOptions smtp = options.Smtp;
    SmtpState state = SmtpState.Connected;
    SmtpTransaction? transaction;
    bool closing;
    bool pendingOutput;
    int errors;
    int commandsBeforeMail;

    /// <summary>The EHLO/HELO argument.</summary>
    string? helo;
    /// <summary>EHLO (not HELO) was used: extensions and their parameters are allowed.</summary>
    bool esmtp;

    bool IsMx => connection.Listener.Role == SmtpProtocol.MxRole;
    string Host => options.HostName;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            // RFC 5321 4.2: the greeting; "ESMTP" tells old clients that EHLO is worth trying.
            await SendAsync(new SmtpReply(220, null, $"{Host} ESMTP Tern"), cancellationToken).ConfigureAwait(false);
            while (!closing)
            {
                await FlushIfIdleAsync(cancellationToken).ConfigureAwait(false);
                var read = await connection.ReadLineAsync(smtp.MaxCommandLineLength, waitingForCommand: true, cancellationToken).ConfigureAwait(false);
                var reply = read.Status switch
                {
                    LineReadStatus.Closed => null,
                    LineReadStatus.TimedOut => Close(new SmtpReply(421, "4.4.2", $"{Host} Timeout, closing connection"), "idle timeout"),
                    LineReadStatus.ShuttingDown => Close(new SmtpReply(421, "4.3.2", $"{Host} Service shutting down, closing connection"), "server stopping"),
                    // RFC 5321 4.5.3.1.4 / 4.2.2: "500 Line too long".
                    LineReadStatus.TooLong => new SmtpReply(500, "5.5.2", "Line too long"),
                    _ => await HandleLineAsync(read, cancellationToken).ConfigureAwait(false),
                };
                if (reply is null)
                    return;
                if (ReferenceEquals(reply, NoReply))
                    continue;
                await SendAsync(reply, cancellationToken).ConfigureAwait(false);
                if (!closing && CountsAsError(reply) && ++errors >= smtp.MaxErrors)
                    await SendAsync(Close(new SmtpReply(421, "4.7.0", $"{Host} Too many errors, closing connection"), "too many errors"), cancellationToken).ConfigureAwait(false);
            }
            await FlushAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (transaction is not null)
                await transaction.DisposeAsync().ConfigureAwait(false);
        }
    }

    async Task<SmtpReply?> HandleLineAsync(LineReadResult read, CancellationToken cancellationToken)
    {
        // RFC 5321 2.3.8: lines end in CRLF; a server SHOULD NOT recognise a bare LF as a line end. We refuse such a
        // line instead of running it: accepting it is half of every SMTP smuggling trick (CVE-2023-51764).
        if (!read.EndedWithCrlf)
        {
            connection.LogCommand("(line ending in bare LF)");
            return new SmtpReply(500, "5.5.2", "Command line must end with <CRLF> (RFC 5321 2.3.8)");
        }
        var error = SmtpCommandParser.TryParse(read.Line, out var command);
        switch (error)
        {
            case SmtpLineError.NulByte:
                connection.LogCommand("(line with NUL)");
                return new SmtpReply(500, "5.5.2", "NUL character not allowed");
            case SmtpLineError.InvalidUtf8:
                connection.LogCommand("(line with invalid UTF-8)");
                return new SmtpReply(500, "5.5.2", "Invalid UTF-8 in command");
            case SmtpLineError.Empty:
                connection.LogCommand("");
                return new SmtpReply(500, "5.5.2", "Empty command");
        }
        connection.LogCommand(command.Verb == SmtpVerb.Auth ? Redact(command) : $"{command.Name} {command.Argument}".TrimEnd());

        if (command.Verb is not (SmtpVerb.Mail or SmtpVerb.Rcpt or SmtpVerb.Data or SmtpVerb.Bdat or SmtpVerb.Quit)
            && state is SmtpState.Connected or SmtpState.Ready
            && ++commandsBeforeMail > smtp.MaxCommandsBeforeMail)
        {
            return Close(new SmtpReply(421, "4.7.0", $"{Host} Too many commands before MAIL, closing connection"), "too many commands before MAIL");
        }

        // BDAT must consume its chunk even when refused, so its handler checks the state itself (RFC 3030 2).
        if (command.Verb != SmtpVerb.Bdat && SmtpStateTable.Check(command.Verb, state) is { } refusal)
            return refusal;

        return command.Verb switch
        {
            SmtpVerb.Ehlo => await HelloAsync(command, extended: true, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Helo => await HelloAsync(command, extended: false, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Mail => await MailAsync(command, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Rcpt => await RcptAsync(command, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Data => await DataAsync(command, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Bdat => await BdatAsync(command, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Rset => await RsetAsync(command).ConfigureAwait(false),
            SmtpVerb.Noop => new SmtpReply(250, "2.0.0", "Ok"),
            SmtpVerb.Quit => Quit(),
            SmtpVerb.Vrfy => Vrfy(command),
            SmtpVerb.Expn => new SmtpReply(502, "5.5.1", "EXPN not available"),
            SmtpVerb.Help => Help(),
            SmtpVerb.StartTls => await StartTlsAsync(command, cancellationToken).ConfigureAwait(false),
            SmtpVerb.Auth => await AuthAsync(command, cancellationToken).ConfigureAwait(false),
            _ => new SmtpReply(500, "5.5.1", "Command not recognized"),
        };
    }

    static string Redact(SmtpCommand command)
    {
        var parts = command.Argument.Split(' ', 2);
        return parts.Length > 1 ? $"AUTH {parts[0]} ***" : $"AUTH {parts[0]}";
    }

    /// <summary>Errors that count towards <see cref="SmtpOptions.MaxErrors"/>. Unknown recipients have their own
    /// budget, and "too many recipients" is the normal way to make a pipelining client send the rest later.</summary>
    static bool CountsAsError(SmtpReply reply) => reply.Code >= 500 && reply.Enhanced is not ("5.1.1" or "4.5.3");

    SmtpReply Close(SmtpReply reply, string reason)
    {
        closing = true;
        SmtpLog.Closed(logger, connection.Id, connection.RemoteEndPoint, reason);
        return reply;
    }

    /// <summary>Ends the transaction (RFC 5321 4.1.1.5 RSET semantics) and deletes any partial queue file.</summary>
    async Task ResetTransactionAsync()
    {
        if (transaction is not null)
            await transaction.DisposeAsync().ConfigureAwait(false);
        transaction = null;
        if (state != SmtpState.Connected)
            state = SmtpState.Ready;
    }

    /// <summary>Queues a reply. With PIPELINING (RFC 2920 3.2) replies to a batch of commands go out together: the
    /// flush happens when no further complete command is waiting, or before anything that waits for the client.</summary>
    async Task SendAsync(SmtpReply reply, CancellationToken cancellationToken, bool flush = false)
    {
        var text = reply.Format();
        foreach (var line in text.Split("\r\n", StringSplitOptions.RemoveEmptyEntries))
            connection.LogReply(line);
        connection.Output.Write(Encoding.UTF8.GetBytes(text));
        pendingOutput = true;
        if (flush || closing)
            await FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    async Task FlushAsync(CancellationToken cancellationToken)
    {
        if (!pendingOutput)
            return;
        pendingOutput = false;
        var result = await connection.Output.FlushAsync(cancellationToken).ConfigureAwait(false);
        if (result.IsCompleted || result.IsCanceled)
            throw new IOException("The client closed the connection.");
    }

    async Task FlushIfIdleAsync(CancellationToken cancellationToken)
    {
        if (!pendingOutput)
            return;
        if (connection.Input.TryRead(out var buffered))
        {
            bool commandWaiting = buffered.Buffer.PositionOf((byte)'\n') is not null;
            connection.Input.AdvanceTo(buffered.Buffer.Start);
            if (commandWaiting)
                return;
        }
        await FlushAsync(cancellationToken).ConfigureAwait(false);
    }
}
