using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Hosting;
using Tern.Net;

namespace Tern.Tests.Fixtures;

/// <summary>A real Tern in this process: every listener on 127.0.0.1 with an ephemeral port, a temporary data
/// folder, fast password hashing, and the log kept for assertions. Dispose stops it and deletes the folder.</summary>
public sealed class TernTestServer : IAsyncDisposable
{
    readonly WebApplication app;
    readonly bool ownsDataDirectory;

    TernTestServer(WebApplication app, TernOptions options, string dataDirectory, bool ownsDataDirectory, TestLogSink log)
    {
        this.app = app;
        this.ownsDataDirectory = ownsDataDirectory;
        Options = options;
        DataDirectory = dataDirectory;
        Log = log;
    }

    public TernOptions Options { get; }
    public string DataDirectory { get; }
    public TestLogSink Log { get; }
    public IServiceProvider Services => app.Services;
    public ListenerRegistry Listeners => Services.GetRequiredService<ListenerRegistry>();
    public IAccountStore Accounts => Services.GetRequiredService<IAccountStore>();

    public int SmtpPort => Listeners.PortOf("smtp-mx");
    public int SubmissionPort => Listeners.PortOf("smtp-submission");
    public int SubmissionsPort => Listeners.PortOf("smtp-submissions");
    public int Pop3Port => Listeners.PortOf("pop3");
    public int Pop3sPort => Listeners.PortOf("pop3s");
    public int ImapPort => Listeners.PortOf("imap");
    public int ImapsPort => Listeners.PortOf("imaps");

    /// <summary>Settings every test server gets; a test adds or replaces keys with <paramref name="settings"/>.</summary>
    public static Dictionary<string, string?> DefaultSettings(string dataDirectory) => new(StringComparer.OrdinalIgnoreCase)
    {
        ["DataDirectory"] = dataDirectory,
        ["HostName"] = "mail.test.example",
        ["ShutdownGraceSeconds"] = "5",
        ["Auth:PasswordIterations"] = "1000",
        ["Auth:FailureDelayMilliseconds"] = "50",
        ["Relay:IntervalSeconds"] = "1",
        // Tests never send traffic off this machine: no relay unless a test turns it on with its own loopback DNS,
        // and even then the resolver is a loopback address.
        ["Relay:Enabled"] = "false",
        ["Dns:Servers:0"] = "127.0.0.1:9",
        // SPF/DKIM/DMARC checks on port 25 ask DNS, which is nowhere here: off unless a test serves DNS (MailAuth tests).
        ["MailAuth:Verify"] = "false",
        ["Smtp:Mx:Listen:0"] = "127.0.0.1:0",
        ["Smtp:Submission:Listen:0"] = "127.0.0.1:0",
        ["Smtp:Submissions:Listen:0"] = "127.0.0.1:0",
        ["Pop3:Plain:Listen:0"] = "127.0.0.1:0",
        ["Pop3:Tls:Listen:0"] = "127.0.0.1:0",
        ["Imap:Plain:Listen:0"] = "127.0.0.1:0",
        ["Imap:Tls:Listen:0"] = "127.0.0.1:0",
    };

    /// <param name="settings">Extra or replaced settings (configuration keys such as "Smtp:MaxRecipients").</param>
    /// <param name="dataDirectory">Reuse a data folder (a restart test); it is then not deleted on dispose.</param>
    public static async Task<TernTestServer> StartAsync(
        IDictionary<string, string?>? settings = null, string? dataDirectory = null,
        Action<IServiceCollection>? configureServices = null)
    {
        bool owns = dataDirectory is null;
        dataDirectory ??= Path.Combine(Path.GetTempPath(), "tern-test-" + Guid.NewGuid().ToString("N")[..12]);
        var all = DefaultSettings(dataDirectory);
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            all[key] = value;
        var configuration = TernConfiguration.Build(null, null, all.Where(kv => kv.Value is not null).Select(kv => $"{kv.Key}={kv.Value}"));
        var options = TernConfiguration.Bind(configuration);
        var log = new TestLogSink();
        var app = TernHost.Build(options, configuration, logging =>
        {
            logging.AddProvider(log);
        }, configureServices);
        await app.StartAsync();
        return new TernTestServer(app, options, dataDirectory, owns, log);
    }

    /// <summary>Adds the domain if needed and a user with that password.</summary>
    public async Task<UserAccount> AddUserAsync(string address, string password = "secret-password")
    {
        var domain = address[(address.IndexOf('@') + 1)..];
        if (!await Accounts.IsLocalDomainAsync(domain))
            await Accounts.AddDomainAsync(domain);
        return await Accounts.AddUserAsync(address, password);
    }

    /// <summary>Stops as Ctrl-C would: no new connections, sessions get the grace period.</summary>
    public Task StopAsync() => app.StopAsync();

    public async ValueTask DisposeAsync()
    {
        try { await app.StopAsync(); } catch (ObjectDisposedException) { }
        await app.DisposeAsync();
        if (ownsDataDirectory)
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(DataDirectory, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}

/// <summary>Keeps every log line of a test server, for assertions on the session log.</summary>
public sealed class TestLogSink : ILoggerProvider
{
    readonly ConcurrentQueue<string> lines = new();
    public IReadOnlyCollection<string> Lines => lines;
    public bool Contains(string text) => lines.Any(l => l.Contains(text, StringComparison.Ordinal));
    public ILogger CreateLogger(string categoryName) => new SinkLogger(this, categoryName);
    public void Dispose() { }

    sealed class SinkLogger(TestLogSink sink, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;
        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            sink.lines.Enqueue($"{logLevel} {category}[{eventId.Id}] {formatter(state, exception)}{(exception is null ? "" : " " + exception)}");
    }
}
