using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using MimeKit;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Delivery.Remote;
using Tern.Hosting;
using Tern.Queue;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary>The source side of relay tests without listeners: the real accounts, queue and relay services of Tern
/// (the same registrations as the server), with the relay's hosted services started, a temporary data folder and the
/// log kept. Messages are put straight into the queue, as the SMTP server would.</summary>
public sealed class RelayHarness : IAsyncDisposable
{
    readonly ServiceProvider provider;
    readonly List<IHostedService> hosted;

    RelayHarness(ServiceProvider provider, List<IHostedService> hosted, TernOptions options, TestLogSink log)
    {
        this.provider = provider;
        this.hosted = hosted;
        Options = options;
        Log = log;
    }

    public TernOptions Options { get; }
    public TestLogSink Log { get; }
    public QueueStore Queue => provider.GetRequiredService<QueueStore>();
    public IAccountStore Accounts => provider.GetRequiredService<IAccountStore>();

    /// <summary>Settings for fast tests: 1 s scans and retries, 1 s DNS timeout, short SMTP timeouts.</summary>
    public static Dictionary<string, string?> FastSettings(TestDnsServer dns, int relayPort) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["HostName"] = "source.test",
        ["Auth:PasswordIterations"] = "1000",
        ["Dns:Servers:0"] = dns.EndPoint,
        ["Dns:TimeoutSeconds"] = "1",
        ["Relay:Port"] = relayPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
        ["Relay:IntervalSeconds"] = "1",
        ["Relay:FirstRetryDelaySeconds"] = "1",
        ["Relay:MaxRetryDelaySeconds"] = "2",
        ["Relay:MaxQueueLifetimeSeconds"] = "600",
        ["Relay:ConnectTimeoutSeconds"] = "2",
        ["Relay:CommandTimeoutSeconds"] = "3",
        ["Relay:DataTimeoutSeconds"] = "3",
        ["Relay:DelayWarningSeconds"] = "0",
    };

    /// <param name="startRelay">False: the relay runner waits for <see cref="StartRelayAsync"/> (to queue mail first).</param>
    public static async Task<RelayHarness> StartAsync(IDictionary<string, string?> settings, bool startRelay = true)
    {
        var data = Path.Combine(Path.GetTempPath(), "tern-relay-" + Guid.NewGuid().ToString("N")[..12]);
        var all = new Dictionary<string, string?>(settings, StringComparer.OrdinalIgnoreCase) { ["DataDirectory"] = data };
        var configuration = TernConfiguration.Build(null, null, all.Where(kv => kv.Value is not null).Select(kv => $"{kv.Key}={kv.Value}"));
        var options = TernConfiguration.Bind(configuration);
        TernHost.PrepareDataDirectory(options);
        var log = new TestLogSink();
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddProvider(log).SetMinimumLevel(LogLevel.Debug));
        if (Environment.GetEnvironmentVariable("RELAY_TEST_LOG_DIR") is { Length: > 0 })
            services.AddLogging(l => l.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; }));
        services.AddTernCore(options);
        services.AddTernRelay(options);
        var provider = services.BuildServiceProvider();
        var hosted = provider.GetServices<IHostedService>().ToList();
        var harness = new RelayHarness(provider, hosted, options, log);
        await harness.Accounts.AddDomainAsync("source.test");
        await harness.Accounts.AddUserAsync("alice@source.test", "secret-password");
        foreach (var service in hosted)
        {
            if (startRelay || service.GetType().Name != "RelayRunner")
                await service.StartAsync(CancellationToken.None);
        }
        return harness;
    }

    public Task StartRelayAsync() => hosted.Single(s => s.GetType().Name == "RelayRunner").StartAsync(CancellationToken.None);

    /// <summary>Queues a message as the SMTP server would after DATA.</summary>
    public async Task<string> EnqueueAsync(
        string from, IEnumerable<string> to, string subject = "relay test", string? body = null,
        Action<QueueEnvelope>? envelope = null, IReadOnlyList<string>? notify = null)
    {
        var recipients = to.ToList();
        var text = new StringBuilder()
            .Append("Received: from client.test by source.test; Fri, 27 Nov 2026 08:00:00 +0000\r\n")
            .Append(CultureInfo($"From: <{from}>\r\n"))
            .Append(CultureInfo($"To: {string.Join(", ", recipients.Select(r => "<" + r + ">"))}\r\n"))
            .Append(CultureInfo($"Subject: {subject}\r\n"))
            .Append(CultureInfo($"Message-ID: <{Guid.NewGuid():N}@source.test>\r\n"))
            .Append("\r\n")
            .Append(body ?? "Hello from the relay tests.\r\n")
            .ToString();
        var env = new QueueEnvelope
        {
            Arrived = DateTimeOffset.UtcNow,
            Sender = new QueueSender { Address = from },
            Recipients = recipients.Select(r => new QueueRecipient { Address = r, Notify = notify?.ToList() ?? [] }).ToList(),
            Client = new QueueClient { Address = "127.0.0.1", Helo = "client.test", Listener = "smtp-submission", Protocol = "ESMTPA" },
        };
        envelope?.Invoke(env);
        return await Queue.EnqueueAsync(new MemoryStream(Encoding.UTF8.GetBytes(text)), env);
    }

    static string CultureInfo(FormattableString s) => FormattableString.Invariant(s);

    public string BadDirectory => Queue.BadDirectory;

    public bool IsInBad(string id) =>
        File.Exists(Path.Combine(BadDirectory, id + ".msg")) && File.Exists(Path.Combine(BadDirectory, id + ".env"))
        && File.Exists(Path.Combine(BadDirectory, id + ".reason"));

    public bool IsInQueue(string id) => File.Exists(Path.Combine(Queue.QueueDirectory, id + ".env"));

    /// <summary>The queued messages addressed to <paramref name="recipient"/> (DSNs wait there: no local agent here).</summary>
    public async Task<List<(string Id, QueueEnvelope Envelope, MimeMessage Message)>> QueuedForAsync(string recipient)
    {
        var found = new List<(string, QueueEnvelope, MimeMessage)>();
        foreach (var id in await Queue.ListAsync())
        {
            var env = await Queue.ReadEnvelopeAsync(id);
            if (env is null || !env.Recipients.Any(r => r.Address.Equals(recipient, StringComparison.OrdinalIgnoreCase)))
                continue;
            await using var stream = Queue.OpenMessage(id);
            found.Add((id, env, await MimeMessage.LoadAsync(stream)));
        }
        return found;
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds or <paramref name="seconds"/> pass.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, double seconds, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"waited {seconds} s for: {what}");
            await Task.Delay(50);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, double seconds, string what) =>
        WaitUntilAsync(() => Task.FromResult(condition()), seconds, what);

    public async Task<QueueEnvelope?> EnvelopeAsync(string id)
    {
        var path = File.Exists(Path.Combine(Queue.QueueDirectory, id + ".env")) ? id : null;
        if (path is not null)
        {
            try { return await Queue.ReadEnvelopeAsync(id); }
            catch (IOException) { }
        }
        var bad = Path.Combine(BadDirectory, id + ".env");
        if (!File.Exists(bad))
            return null;
        return System.Text.Json.JsonSerializer.Deserialize<QueueEnvelope>(await File.ReadAllTextAsync(bad), new System.Text.Json.JsonSerializerOptions
        {
            PropertyNameCaseInsensitive = true,
            Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (Environment.GetEnvironmentVariable("RELAY_TEST_LOG_DIR") is { Length: > 0 } logDir)
            await File.WriteAllLinesAsync(Path.Combine(logDir, "relay-" + Path.GetFileName(Options.FullDataDirectory) + ".log"), Log.Lines);
        foreach (var service in Enumerable.Reverse(hosted))
            await service.StopAsync(CancellationToken.None);
        await provider.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(Options.FullDataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
