using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Text;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Tern.Net;

/// <summary>One client connection as the protocol sessions see it: capped line reads with idle timeouts, writes,
/// the STARTTLS upgrade in place and the session log.</summary>
public sealed class MailConnection : IAsyncDisposable
{
    readonly ConnectionContext context;
    readonly ITlsServerOptionsProvider tls;
    readonly ILogger logger;
    readonly bool sessionLog;
    CancellationTokenSource readTimeout = new();
    SslStream? sslStream;
    DeflateTransport? deflate;
    bool discardingLongLine;

    internal MailConnection(
        ConnectionContext context, MailListenerDefinition listener, TimeSpan idleTimeout,
        ITlsServerOptionsProvider tls, ILogger logger, bool sessionLog, string hostName)
    {
        this.context = context;
        this.tls = tls;
        this.logger = logger;
        this.sessionLog = sessionLog;
        Listener = listener;
        IdleTimeout = idleTimeout;
        HostName = hostName;
        Input = context.Transport.Input;
        Output = context.Transport.Output;
        var handshake = context.Features.Get<ITlsHandshakeFeature>();
        if (handshake is not null)
        {
            IsSecure = true;
            TlsProtocol = handshake.Protocol;
            TlsCipher = handshake.NegotiatedCipherSuite?.ToString();
        }
        ShutdownRequested = context.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested
            ?? CancellationToken.None;
    }

    /// <summary>Kestrel's connection id, on every log line of the session.</summary>
    public string Id => context.ConnectionId;
    public IPEndPoint? RemoteEndPoint => context.RemoteEndPoint as IPEndPoint;
    public IPEndPoint? LocalEndPoint => context.LocalEndPoint as IPEndPoint;
    public IPAddress? RemoteAddress => RemoteEndPoint?.Address;
    public bool IsLoopback => RemoteAddress is { } a && IPAddress.IsLoopback(a);
    public MailListenerDefinition Listener { get; }
    public string HostName { get; }

    /// <summary>Time allowed for the next line; a protocol may change it (SMTP DATA uses 10 minutes, RFC 5321 4.5.3.2.6).</summary>
    public TimeSpan IdleTimeout { get; set; }

    public PipeReader Input { get; private set; }
    public PipeWriter Output { get; private set; }
    public bool IsSecure { get; private set; }
    public SslProtocols? TlsProtocol { get; private set; }
    public string? TlsCipher { get; private set; }

    /// <summary>"TLS1.3 TLS_AES_256_GCM_SHA384", for Received headers and logs; null on plaintext.</summary>
    public string? TlsDescription => IsSecure ? $"{TlsVersionName(TlsProtocol)} {TlsCipher}".Trim() : null;

    /// <summary>Fires when the server is stopping: sessions waiting for a command say goodbye and close.</summary>
    public CancellationToken ShutdownRequested { get; }

    public ILogger Logger => logger;

    /// <summary>Reads one line ending in LF, at most <paramref name="maxLength"/> octets without the line end.</summary>
    /// <param name="waitingForCommand">True between commands: a stopping server then ends the read with
    /// <see cref="LineReadStatus.ShuttingDown"/>. False in the middle of a command (DATA, a literal).</param>
    public async ValueTask<LineReadResult> ReadLineAsync(int maxLength, bool waitingForCommand, CancellationToken cancellationToken)
    {
        while (true)
        {
            var read = await ReadAsync(waitingForCommand, cancellationToken).ConfigureAwait(false);
            if (read.Status is { } status)
                return new LineReadResult(status, [], false);

            var buffer = read.Result.Buffer;
            var lf = buffer.PositionOf((byte)'\n');
            if (lf is null)
            {
                if (discardingLongLine || buffer.Length > maxLength + 1)
                {
                    // Cap before parsing: drop what we have and keep dropping until the line ends.
                    discardingLongLine = true;
                    Input.AdvanceTo(buffer.End);
                }
                else
                {
                    Input.AdvanceTo(buffer.Start, buffer.End);
                }
                if (read.Result.IsCompleted)
                    return new LineReadResult(LineReadStatus.Closed, [], false);
                continue;
            }

            // Copy out before AdvanceTo: the pipe may reuse the memory once it is consumed.
            var lineWithLf = buffer.Slice(0, buffer.GetPosition(1, lf.Value));
            var line = lineWithLf.Slice(0, lineWithLf.Length - 1);
            bool crlf = line.Length > 0 && EndsWithCr(line);
            if (crlf)
                line = line.Slice(0, line.Length - 1);
            LineReadResult result = discardingLongLine
                ? new LineReadResult(LineReadStatus.TooLong, [], crlf)
                : line.Length > maxLength
                    ? new LineReadResult(LineReadStatus.TooLong, [], crlf)
                    : new LineReadResult(LineReadStatus.Line, line.ToArray(), crlf);
            discardingLongLine = false;
            Input.AdvanceTo(lineWithLf.End);
            return result;
        }
    }

    /// <summary>Raw read with the idle timeout (and, between commands, the shutdown signal). On success the caller
    /// must call <c>Input.AdvanceTo</c>. Used for DATA, BDAT chunks and IMAP literals.</summary>
    public async ValueTask<(ReadResult Result, LineReadStatus? Status)> ReadAsync(bool waitingForCommand, CancellationToken cancellationToken)
    {
        if (!readTimeout.TryReset())
        {
            readTimeout.Dispose();
            readTimeout = new CancellationTokenSource();
        }
        readTimeout.CancelAfter(IdleTimeout);
        using var linked = waitingForCommand
            ? CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, readTimeout.Token, ShutdownRequested)
            : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, readTimeout.Token);
        try
        {
            if (waitingForCommand && ShutdownRequested.IsCancellationRequested)
                return (default, LineReadStatus.ShuttingDown);
            var result = await Input.ReadAsync(linked.Token).ConfigureAwait(false);
            if (result.IsCanceled)
                return (default, LineReadStatus.Closed);
            if (result.IsCompleted && result.Buffer.IsEmpty)
            {
                Input.AdvanceTo(result.Buffer.End);
                return (default, LineReadStatus.Closed);
            }
            return (result, null);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            if (readTimeout.IsCancellationRequested)
                return (default, LineReadStatus.TimedOut);
            return (default, LineReadStatus.ShuttingDown);
        }
        catch (OperationCanceledException)
        {
            return (default, LineReadStatus.Closed);
        }
        catch (Exception ex) when (ex is IOException or ConnectionResetException or ConnectionAbortedException or AuthenticationException)
        {
            return (default, LineReadStatus.Closed);
        }
    }

    /// <summary>Writes and flushes. Write failures (a vanished client) surface as <see cref="IOException"/>.</summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var flush = await Output.WriteAsync(data, cancellationToken).ConfigureAwait(false);
        if (flush.IsCompleted || flush.IsCanceled)
            throw new IOException("The client closed the connection.");
    }

    /// <summary>Writes one reply line (UTF-8) with CRLF and flushes; logs it when the session log is on.</summary>
    public ValueTask WriteLineAsync(string line, CancellationToken cancellationToken = default)
    {
        LogReply(line);
        return WriteAsync(Encoding.UTF8.GetBytes(line + "\r\n"), cancellationToken);
    }

    /// <summary>STARTTLS / STLS: throws away every byte the client sent after the command (CVE-2011-0411, RFC 3207 4.2
    /// "the server MUST discard any knowledge obtained from the client"), sends the ready reply, then runs the TLS
    /// handshake on the same socket and swaps the pipes. False when the handshake failed (the session must end).</summary>
    public async Task<bool> StartTlsAsync(string readyReply, CancellationToken cancellationToken)
    {
        if (IsSecure)
            throw new InvalidOperationException("TLS is already active.");
        DiscardBufferedInput();
        await WriteLineAsync(readyReply, cancellationToken).ConfigureAwait(false);

        var stream = new DuplexPipeStream(Input, Output);
        var ssl = new SslStream(stream, leaveInnerStreamOpen: false);
        using var handshakeTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        handshakeTimeout.CancelAfter(TimeSpan.FromSeconds(30));
        try
        {
            await ssl.AuthenticateAsServerAsync(tls.GetServerOptions(), handshakeTimeout.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or OperationCanceledException)
        {
            NetLog.TlsHandshakeFailed(logger, Id, RemoteEndPoint, ex.Message);
            await ssl.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        sslStream = ssl;
        Input = PipeReader.Create(ssl, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(ssl, new StreamPipeWriterOptions(leaveOpen: true));
        IsSecure = true;
        TlsProtocol = ssl.SslProtocol;
        TlsCipher = ssl.NegotiatedCipherSuite.ToString();
        NetLog.TlsStarted(logger, Id, TlsDescription ?? "");
        return true;
    }

    /// <summary>True once <see cref="StartCompression"/> ran.</summary>
    public bool IsCompressed => deflate is not null;

    /// <summary>RFC 4978 COMPRESS=DEFLATE: from now on both directions are raw DEFLATE. The protocol sends its ready
    /// reply (uncompressed, flushed) first. Unlike STARTTLS nothing buffered is dropped: octets the client sent after
    /// the command are already compressed. Input still goes through the capped line and literal reads, so inflated
    /// data meets the same limits as plain data.</summary>
    public void StartCompression()
    {
        if (deflate is not null)
            throw new InvalidOperationException("Compression is already active.");
        deflate = new DeflateTransport(new DuplexPipeStream(Input, Output));
        Input = PipeReader.Create(deflate.Inflater, new StreamPipeReaderOptions(leaveOpen: true));
        Output = PipeWriter.Create(deflate.Deflater, new StreamPipeWriterOptions(leaveOpen: true));
    }

    void DiscardBufferedInput()
    {
        if (Input.TryRead(out var pending))
        {
            if (!pending.Buffer.IsEmpty)
                NetLog.PlaintextDiscarded(logger, Id, RemoteEndPoint, pending.Buffer.Length);
            Input.AdvanceTo(pending.Buffer.End);
        }
    }

    /// <summary>Logs a command line; the protocol passes AUTH data and passwords already redacted.</summary>
    public void LogCommand(string line)
    {
        if (sessionLog)
            NetLog.Command(logger, Id, RemoteEndPoint, line);
    }

    /// <summary>True when commands and replies are logged: callers skip building a log line nobody reads.</summary>
    public bool SessionLogEnabled => sessionLog;

    public void LogReply(string line)
    {
        if (sessionLog)
            NetLog.Reply(logger, Id, RemoteEndPoint, line);
    }

    /// <summary>Closes the connection after flushing what was written.</summary>
    public void Abort() => context.Abort();

    public async ValueTask DisposeAsync()
    {
        readTimeout.Dispose();
        if (deflate is not null)
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            try { await Output.CompleteAsync().ConfigureAwait(false); }
            catch (Exception ex) when (ex is IOException or InvalidOperationException) { }
            await deflate.DisposeAsync().ConfigureAwait(false);
        }
        if (sslStream is not null)
        {
            await Input.CompleteAsync().ConfigureAwait(false);
            try { await Output.CompleteAsync().ConfigureAwait(false); }
            catch (IOException) { }
            try { await sslStream.DisposeAsync().ConfigureAwait(false); }
            catch (IOException) { }
        }
    }

    static bool EndsWithCr(ReadOnlySequence<byte> line)
    {
        Span<byte> last = stackalloc byte[1];
        line.Slice(line.Length - 1).CopyTo(last);
        return last[0] == (byte)'\r';
    }

    static string TlsVersionName(SslProtocols? protocol) => protocol switch
    {
        SslProtocols.Tls13 => "TLSv1.3",
        SslProtocols.Tls12 => "TLSv1.2",
        _ => protocol?.ToString() ?? "",
    };
}
