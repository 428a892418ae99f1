using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using ARSoft.Tools.Net;
using ARSoft.Tools.Net.Dns;

namespace Tern.Tests.Fixtures;

/// <summary>A real DNS server on 127.0.0.1 (UDP and TCP, one free port) answering from records the test sets:
/// MX, A, AAAA, null MX; names can be made to time out or fail. Names with no record at all get NXDOMAIN; names with
/// records of other types get an empty NOERROR answer (NODATA).</summary>
/// <remarks>Built on ARSoft.Tools.Net's <see cref="DnsServer"/> with a query handler. <see cref="StartGarbage"/> is a
/// raw UDP responder that answers every query with bytes that are not DNS, for the bad-input tests.</remarks>
public sealed class TestDnsServer : IAsyncDisposable
{
    readonly ConcurrentDictionary<(string Name, RecordType Type), List<DnsRecordBase>> records = new();
    readonly ConcurrentDictionary<string, byte> existing = new(StringComparer.OrdinalIgnoreCase);
    readonly ConcurrentDictionary<string, byte> silent = new(StringComparer.OrdinalIgnoreCase);
    readonly DnsServer? server;
    readonly Socket? garbageSocket;
    readonly CancellationTokenSource stop = new();
    int queries;

    TestDnsServer(int port, DnsServer? server, Socket? garbageSocket)
    {
        Port = port;
        this.server = server;
        this.garbageSocket = garbageSocket;
    }

    public int Port { get; }

    /// <summary>The value for <c>Dns:Servers:0</c>.</summary>
    public string EndPoint => $"127.0.0.1:{Port}";

    /// <summary>Queries answered so far.</summary>
    public int Queries => Volatile.Read(ref queries);

    public static TestDnsServer Start()
    {
        for (int attempt = 0; ; attempt++)
        {
            int port = FreeUdpPort();
            var endPoint = new IPEndPoint(IPAddress.Loopback, port);
            var server = new DnsServer(new UdpServerTransport(endPoint, 5000), new TcpServerTransport(endPoint, 5000, 5000));
            var dns = new TestDnsServer(port, server, null);
            server.QueryReceived += dns.OnQueryAsync;
            try
            {
                server.Start();
                return dns;
            }
            catch (SocketException) when (attempt < 10)
            {
                server.Stop();
            }
        }
    }

    /// <summary>A UDP "DNS server" that answers every query with the query's id followed by junk.</summary>
    public static TestDnsServer StartGarbage()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        var dns = new TestDnsServer(((IPEndPoint)socket.LocalEndPoint!).Port, null, socket);
        _ = dns.AnswerGarbageAsync();
        return dns;
    }

    async Task AnswerGarbageAsync()
    {
        var buffer = new byte[4096];
        EndPoint any = new IPEndPoint(IPAddress.Any, 0);
        try
        {
            while (!stop.IsCancellationRequested)
            {
                var received = await garbageSocket!.ReceiveFromAsync(buffer, SocketFlags.None, any, stop.Token);
                Interlocked.Increment(ref queries);
                var answer = new byte[40];
                Random.Shared.NextBytes(answer);
                answer[0] = buffer[0];
                answer[1] = buffer[1];
                answer[2] = 0x81; // QR=1, looks like a response
                answer[3] = 0x80;
                answer[4] = 0xFF; // 65535 questions in 40 bytes: garbage
                answer[5] = 0xFF;
                await garbageSocket.SendToAsync(answer, SocketFlags.None, received.RemoteEndPoint, stop.Token);
            }
        }
        catch (OperationCanceledException) { }
        catch (ObjectDisposedException) { }
        catch (SocketException) { }
    }

    static int FreeUdpPort()
    {
        using var udp = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        udp.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return ((IPEndPoint)udp.LocalEndPoint!).Port;
    }

    static string Key(string name) => name.Trim().TrimEnd('.').ToLowerInvariant();

    void Add(string name, RecordType type, DnsRecordBase record)
    {
        existing[Key(name)] = 0;
        records.AddOrUpdate((Key(name), type), _ => [record], (_, list) => { lock (list) list.Add(record); return list; });
    }

    public TestDnsServer AddMx(string domain, int preference, string host)
    {
        Add(domain, RecordType.Mx, new MxRecord(DomainName.Parse(Key(domain)), 0, (ushort)preference, DomainName.Parse(Key(host))));
        return this;
    }

    /// <summary>RFC 7505: a single MX with preference 0 and the root as exchange.</summary>
    public TestDnsServer AddNullMx(string domain)
    {
        Add(domain, RecordType.Mx, new MxRecord(DomainName.Parse(Key(domain)), 0, 0, DomainName.Root));
        return this;
    }

    public TestDnsServer AddA(string host, string address = "127.0.0.1")
    {
        Add(host, RecordType.A, new ARecord(DomainName.Parse(Key(host)), 0, IPAddress.Parse(address)));
        return this;
    }

    public TestDnsServer AddAaaa(string host, string address)
    {
        Add(host, RecordType.Aaaa, new AaaaRecord(DomainName.Parse(Key(host)), 0, IPAddress.Parse(address)));
        return this;
    }

    /// <summary>A TXT record (SPF, DKIM key, DMARC policy); strings longer than 255 octets are split as DNS requires.</summary>
    public TestDnsServer AddTxt(string name, string text)
    {
        var strings = Enumerable.Range(0, (text.Length + 254) / 255).Select(i => text.Substring(i * 255, Math.Min(255, text.Length - (i * 255)))).ToList();
        Add(name, RecordType.Txt, new TxtRecord(DomainName.Parse(Key(name)), 0, strings.Count == 0 ? [""] : strings));
        return this;
    }

    /// <summary>A PTR record for <paramref name="address"/> (in-addr.arpa / ip6.arpa).</summary>
    public TestDnsServer AddPtr(string address, string host)
    {
        var name = IPAddress.Parse(address).GetReverseLookupDomain();
        Add(name.ToString(), RecordType.Ptr, new PtrRecord(name, 0, DomainName.Parse(Key(host))));
        return this;
    }

    /// <summary>Forgets every record of <paramref name="name"/> (then it is NXDOMAIN).</summary>
    public TestDnsServer Remove(string name)
    {
        foreach (var key in records.Keys.Where(k => k.Name == Key(name)).ToList())
            records.TryRemove(key, out _);
        existing.TryRemove(Key(name), out _);
        return this;
    }

    /// <summary>Queries for <paramref name="name"/> get no answer at all (a resolver timeout).</summary>
    public TestDnsServer Silence(string name)
    {
        silent[Key(name)] = 0;
        return this;
    }

    /// <summary>An SRV record (RFC 2782), for the RFC 6186 service records.</summary>
    public TestDnsServer AddSrv(string name, int priority, int weight, int port, string target)
    {
        Add(name, RecordType.Srv, new SrvRecord(DomainName.Parse(Key(name)), 0, (ushort)priority, (ushort)weight, (ushort)port, DomainName.Parse(Key(target))));
        return this;
    }

    /// <summary>Forgets the TXT records of <paramref name="name"/> (the name still exists).</summary>
    public TestDnsServer RemoveTxt(string name)
    {
        records.TryRemove((Key(name), RecordType.Txt), out _);
        return this;
    }

    async Task OnQueryAsync(object sender, QueryReceivedEventArgs e)
    {
        if (e.Query is not DnsMessage query || query.Questions.Count != 1)
            return;
        Interlocked.Increment(ref queries);
        var question = query.Questions[0];
        var name = Key(question.Name.ToString());
        if (silent.ContainsKey(name))
        {
            await Task.Delay(TimeSpan.FromSeconds(3));
            return; // no response
        }
        var response = query.CreateResponseInstance();
        response.IsAuthoritiveAnswer = true;
        if (records.TryGetValue((name, question.RecordType), out var list))
        {
            lock (list)
                response.AnswerRecords.AddRange(list);
            response.ReturnCode = ReturnCode.NoError;
        }
        else
        {
            response.ReturnCode = existing.ContainsKey(name) ? ReturnCode.NoError : ReturnCode.NxDomain;
        }
        e.Response = response;
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        server?.Stop();
        garbageSocket?.Dispose();
        stop.Dispose();
    }
}
