using System.Text;
using Tern.Configuration;
using Tern.Net;

namespace Tern.Tests.Net;

/// <summary>A tiny line protocol for testing the connection layer on its own: ECHO, STARTTLS, SLOW, QUIT.</summary>
sealed class EchoProtocol(TimeSpan idleTimeout, int maxLineLength = 100) : IMailProtocol
{
    public string Name => "echo";
    public TimeSpan IdleTimeout => idleTimeout;
    public string TooBusyReply(string hostName) => "-BUSY too many connections";

    public IEnumerable<MailListenerDefinition> GetListeners(TernOptions options) =>
    [
        new("echo", "Echo:Listen", ["127.0.0.1:0"], ImplicitTls: false, StandardPort: 7),
        new("echos", "Echo:Tls:Listen", ["127.0.0.1:0"], ImplicitTls: true, StandardPort: 7),
    ];

    public async Task RunSessionAsync(MailConnection connection, CancellationToken cancellationToken)
    {
        await connection.WriteLineAsync("+HELLO " + (connection.IsSecure ? "tls" : "plain"), cancellationToken);
        while (true)
        {
            var read = await connection.ReadLineAsync(maxLineLength, waitingForCommand: true, cancellationToken);
            switch (read.Status)
            {
                case LineReadStatus.Closed:
                    return;
                case LineReadStatus.TimedOut:
                    await connection.WriteLineAsync("-TIMEOUT", cancellationToken);
                    return;
                case LineReadStatus.ShuttingDown:
                    await connection.WriteLineAsync("-SHUTDOWN", cancellationToken);
                    return;
                case LineReadStatus.TooLong:
                    await connection.WriteLineAsync("-TOOLONG", cancellationToken);
                    continue;
            }
            var line = Encoding.UTF8.GetString(read.Line);
            connection.LogCommand(line.StartsWith("SECRET", StringComparison.Ordinal) ? "SECRET ***" : line);
            if (line == "QUIT")
            {
                await connection.WriteLineAsync("+BYE", cancellationToken);
                return;
            }
            if (line == "STARTTLS")
            {
                if (!await connection.StartTlsAsync("+GO", cancellationToken))
                    return;
                continue;
            }
            if (line == "SLOW")
            {
                // A command in progress when the server stops must be allowed to finish.
                await Task.Delay(1500, CancellationToken.None);
                await connection.WriteLineAsync("+SLOW done", cancellationToken);
                continue;
            }
            await connection.WriteLineAsync("+" + line + (read.EndedWithCrlf ? "" : " (bare LF)"), cancellationToken);
        }
    }
}
