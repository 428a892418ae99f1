using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Tern.Tests.Relay;

/// <summary>A minimal HTTPS server on a loopback address that serves MTA-STS policy files by host name (HTTP/1.1, one
/// request per connection), and counts the requests, so tests can see whether a policy was fetched or came from the
/// cache.</summary>
public sealed class PolicyHttpsServer : IAsyncDisposable
{
    readonly TcpListener listener;
    readonly X509Certificate2 certificate;
    readonly CancellationTokenSource stop = new();
    int requests;

    PolicyHttpsServer(TcpListener listener, X509Certificate2 certificate)
    {
        this.listener = listener;
        this.certificate = certificate;
        _ = AcceptAsync();
    }

    public static PolicyHttpsServer Start(X509Certificate2 certificate, string address = "127.0.0.1")
    {
        var listener = new TcpListener(IPAddress.Parse(address), 0);
        listener.Start();
        return new PolicyHttpsServer(listener, certificate);
    }

    public int Port => ((IPEndPoint)listener.LocalEndpoint).Port;
    public int Requests => Volatile.Read(ref requests);

    /// <summary>Policy text by host ("mta-sts.dest.test"); a missing host gets 404.</summary>
    public ConcurrentDictionary<string, string> Policies { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>The Content-Type of every answer.</summary>
    public string ContentType { get; set; } = "text/plain";

    async Task AcceptAsync()
    {
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var client = await listener.AcceptTcpClientAsync(stop.Token);
                _ = ServeAsync(client);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    async Task ServeAsync(TcpClient client)
    {
        try
        {
            using var _ = client;
            await using var tls = new SslStream(client.GetStream());
            await tls.AuthenticateAsServerAsync(new SslServerAuthenticationOptions { ServerCertificate = certificate }, stop.Token);
            var reader = new StreamReader(tls, Encoding.ASCII);
            var requestLine = await reader.ReadLineAsync(stop.Token) ?? "";
            string host = "";
            while (await reader.ReadLineAsync(stop.Token) is { Length: > 0 } header)
            {
                if (header.StartsWith("Host:", StringComparison.OrdinalIgnoreCase))
                    host = header[5..].Trim().Split(':')[0];
            }
            Interlocked.Increment(ref requests);
            var path = requestLine.Split(' ').ElementAtOrDefault(1);
            string response;
            if (path == "/.well-known/mta-sts.txt" && Policies.TryGetValue(host, out var policy))
            {
                var body = Encoding.UTF8.GetBytes(policy);
                response = $"HTTP/1.1 200 OK\r\nContent-Type: {ContentType}\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n{policy}";
            }
            else
            {
                response = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
            }
            await tls.WriteAsync(Encoding.UTF8.GetBytes(response), stop.Token);
            await tls.FlushAsync(stop.Token);
        }
        catch (OperationCanceledException) { }
        catch (IOException) { }
        catch (System.Security.Authentication.AuthenticationException) { }
        catch (ObjectDisposedException) { }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        certificate.Dispose();
        stop.Dispose();
    }
}
