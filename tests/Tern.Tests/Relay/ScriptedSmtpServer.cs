using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Tern.Tests.Relay;

/// <summary>A tiny SMTP server on a loopback address whose replies the test scripts: a refusing or stalling greeting,
/// per-recipient RCPT replies, per-transaction DATA replies, a drop in the middle of DATA. It records every command
/// line and every accepted transaction. Used where a real Tern cannot misbehave on purpose.</summary>
public sealed class ScriptedSmtpServer : IAsyncDisposable
{
    readonly TcpListener listener;
    readonly CancellationTokenSource stop = new();
    readonly ConcurrentBag<TcpClient> clients = [];
    int connections;
    int transactions;
    int dataReceived;

    public sealed record Transaction(string MailFrom, IReadOnlyList<string> Recipients, string Data);

    ScriptedSmtpServer(TcpListener listener)
    {
        this.listener = listener;
        _ = AcceptAsync();
    }

    /// <summary>Listens on <paramref name="address"/> (127.0.0.x) at <paramref name="port"/> (0: any free one).</summary>
    public static ScriptedSmtpServer Start(string address = "127.0.0.1", int port = 0)
    {
        var listener = new TcpListener(IPAddress.Parse(address), port);
        listener.Start();
        return new ScriptedSmtpServer(listener);
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public int Connections => Volatile.Read(ref connections);

    /// <summary>Messages received up to the final dot (whatever the reply, if any, was).</summary>
    public int DataReceived => Volatile.Read(ref dataReceived);

    /// <summary>The greeting for the n-th connection (0-based); null: say nothing (a stall).</summary>
    public Func<int, string?> Greeting { get; set; } = _ => "220 scripted.test ESMTP";
    public List<string> Capabilities { get; set; } = ["PIPELINING", "8BITMIME", "SIZE 10000000", "DSN", "ENHANCEDSTATUSCODES", "SMTPUTF8"];
    /// <summary>Reply to RCPT TO for an address.</summary>
    public Func<string, string> RcptReply { get; set; } = _ => "250 2.1.5 Ok";
    /// <summary>Reply to the final dot of the n-th transaction (0-based); null: never answer (a stall).</summary>
    public Func<int, string?> DataReply { get; set; } = _ => "250 2.0.0 Ok: queued";
    /// <summary>Close the connection after this many data lines of the n-th transaction; null: don't.</summary>
    public Func<int, int?> DropAfterDataLines { get; set; } = _ => null;

    public ConcurrentQueue<string> Commands { get; } = new();
    public ConcurrentQueue<Transaction> Accepted { get; } = new();

    async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                clients.Add(client);
                int n = Interlocked.Increment(ref connections) - 1;
                _ = ServeAsync(client, n);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    async Task ServeAsync(TcpClient client, int connection)
    {
        try
        {
            using var _ = client;
            var stream = client.GetStream();
            var reader = new StreamReader(stream, Encoding.Latin1);
            async Task Send(string reply) => await stream.WriteAsync(Encoding.Latin1.GetBytes(reply + "\r\n"), stop.Token);

            var greeting = Greeting(connection);
            if (greeting is null)
            {
                await Task.Delay(Timeout.Infinite, stop.Token);
                return;
            }
            await Send(greeting);
            if (!greeting.StartsWith('2'))
                return;
            string mailFrom = "";
            var recipients = new List<string>();
            while (await reader.ReadLineAsync(stop.Token) is { } line)
            {
                Commands.Enqueue(line);
                var verb = line.Split(' ', 2)[0].ToUpperInvariant();
                switch (verb)
                {
                    case "EHLO":
                        var lines = new List<string> { "scripted.test" };
                        lines.AddRange(Capabilities);
                        for (int i = 0; i < lines.Count; i++)
                            await Send($"250{(i == lines.Count - 1 ? ' ' : '-')}{lines[i]}");
                        break;
                    case "HELO":
                        await Send("250 scripted.test");
                        break;
                    case "MAIL":
                        mailFrom = line;
                        recipients.Clear();
                        await Send("250 2.1.0 Ok");
                        break;
                    case "RCPT":
                        var address = line[(line.IndexOf('<') + 1)..line.IndexOf('>')];
                        var reply = RcptReply(address);
                        if (reply.StartsWith('2'))
                            recipients.Add(address);
                        await Send(reply);
                        break;
                    case "DATA":
                        if (recipients.Count == 0)
                        {
                            await Send("554 5.5.1 no valid recipients");
                            break;
                        }
                        int transaction = Interlocked.Increment(ref transactions) - 1;
                        await Send("354 End data with <CR><LF>.<CR><LF>");
                        var data = new StringBuilder();
                        int count = 0;
                        var dropAfter = DropAfterDataLines(transaction);
                        while (await reader.ReadLineAsync(stop.Token) is { } dataLine && dataLine != ".")
                        {
                            data.Append(dataLine).Append("\r\n");
                            if (dropAfter is { } limit && ++count >= limit)
                            {
                                client.Client.Close(0);
                                return;
                            }
                        }
                        Interlocked.Increment(ref dataReceived);
                        var final = DataReply(transaction);
                        if (final is null)
                        {
                            await Task.Delay(Timeout.Infinite, stop.Token);
                            return;
                        }
                        if (final.StartsWith('2'))
                            Accepted.Enqueue(new Transaction(mailFrom, [.. recipients], data.ToString()));
                        await Send(final);
                        break;
                    case "RSET":
                        recipients.Clear();
                        await Send("250 2.0.0 Ok");
                        break;
                    case "NOOP":
                        await Send("250 2.0.0 Ok");
                        break;
                    case "QUIT":
                        await Send("221 2.0.0 Bye");
                        return;
                    default:
                        await Send("502 5.5.2 Command not recognized");
                        break;
                }
            }
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        foreach (var client in clients)
            client.Dispose();
        stop.Dispose();
    }
}
