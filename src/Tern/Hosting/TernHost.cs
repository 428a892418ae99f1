using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tern.Accounts;
using Tern.Configuration;
using Tern.Delivery;
using Tern.Delivery.Remote;
using Tern.Imap.Server;
using Tern.Net;
using Tern.Pop3.Server;
using Tern.Queue;
using Tern.Smtp.Server;
using Tern.Store;

namespace Tern.Hosting;

/// <summary>Builds the one process that serves every protocol: Kestrel for every listener, the shared services,
/// the queue and delivery workers.</summary>
public static class TernHost
{
    /// <summary>Registers the domain services (accounts, store, queue, delivery) shared by the server and the CLI.</summary>
    public static IServiceCollection AddTernCore(this IServiceCollection services, TernOptions options)
    {
        services.AddSingleton(options);
        services.AddTernAccounts(options);
        services.AddTernStore(options);
        services.AddTernQueue(options);
        return services;
    }

    public static WebApplication Build(
        TernOptions options, IConfiguration configuration,
        Action<ILoggingBuilder>? configureLogging = null, Action<IServiceCollection>? configureServices = null)
    {
        PrepareDataDirectory(options);

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            // The default appsettings.json source would watch its folder, recursively, for changes: with the data folder
            // as content root that is an inotify watch on every shard and queue folder and a wake-up on every file
            // written. Tern's settings come from its own file (tern.json), so nothing is reloaded from there.
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
            ContentRootPath = options.FullDataDirectory,
        });
        builder.Host.UseSystemd();
        builder.Services.Configure<HostOptions>(h => h.ShutdownTimeout = TimeSpan.FromSeconds(options.ShutdownGraceSeconds));

        builder.Logging.ClearProviders();
        if (configureLogging is null)
        {
            builder.Logging.AddSimpleConsole(c =>
            {
                c.SingleLine = true;
                c.TimestampFormat = "yyyy-MM-dd HH:mm:ss.fff ";
                c.UseUtcTimestamp = true;
            });
        }
        else
        {
            configureLogging(builder.Logging);
        }
        builder.Logging.SetMinimumLevel(Enum.Parse<LogLevel>(options.Log.Level, ignoreCase: true));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);

        builder.Services.AddTernCore(options);
        builder.Services.AddSingleton<TlsCertificateProvider>();
        builder.Services.AddSingleton<ITlsServerOptionsProvider>(sp => sp.GetRequiredService<TlsCertificateProvider>());
        builder.Services.AddSingleton<ConnectionLimiter>();
        builder.Services.AddSingleton<MailConnectionHandler>();
        builder.Services.AddSingleton<ListenerRegistry>();
        builder.Services.AddTernDelivery(options);
        builder.Services.AddTernRelay(options);
        builder.Services.AddTernSmtp(options);
        builder.Services.AddTernPop3(options);
        builder.Services.AddTernImap(options);
        configureServices?.Invoke(builder.Services);

        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var services = kestrel.ApplicationServices;
            var tls = services.GetRequiredService<TlsCertificateProvider>();
            tls.GetCertificate(); // fail at start, naming the file, rather than at the first handshake
            ListenerBinder.Bind(
                kestrel, services.GetServices<IMailProtocol>(), options, configuration,
                services.GetRequiredService<MailConnectionHandler>(), tls,
                services.GetRequiredService<ListenerRegistry>(),
                services.GetRequiredService<ILoggerFactory>().CreateLogger("Tern.Net"));
            if (options.Http.Enabled)
            {
                foreach (var address in options.Http.Listen)
                    kestrel.Listen(ListenerBinder.ParseEndPoint(address, "Http:Listen"));
            }
            else if (services.GetRequiredService<ListenerRegistry>().Listeners.Count == 0)
            {
                // Kestrel would otherwise listen on its own default HTTP address.
                throw new ListenerBindException("nothing to serve: every listener is disabled (see Smtp:*:Enabled, Pop3:*:Enabled, Imap:*:Enabled)");
            }
        });

        var app = builder.Build();
        if (options.Http.Enabled)
            app.MapGet("/healthz", () => "ok");
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Tern.Net");
            var listeners = app.Services.GetRequiredService<ListenerRegistry>().Listeners;
            foreach (var listener in listeners)
                NetLog.Listening(logger, listener.Role, listener.EndPoint.ToString(), listener.ImplicitTls ? " (implicit TLS)" : "");
            HostLog.Started(logger, options.HostName, listeners.Count, options.FullDataDirectory);
            _ = HintFirstUserAsync(app.Services, logger);
        });
        return app;
    }

    static async Task HintFirstUserAsync(IServiceProvider services, ILogger logger)
    {
        var accounts = services.GetService<IAccountStore>();
        if (accounts is null)
            return;
        try
        {
            if ((await accounts.ListUsersAsync()).Count == 0)
                HostLog.NoUsers(logger);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            HostLog.AccountsUnavailable(logger, ex.Message);
        }
    }

    /// <summary>Creates the data folder and proves it is writable, so the failure is one clear line at start.</summary>
    public static void PrepareDataDirectory(TernOptions options)
    {
        var dir = options.FullDataDirectory;
        try
        {
            Directory.CreateDirectory(dir);
            var probe = Path.Combine(dir, $".write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigurationException([new ConfigProblem("DataDirectory", $"{dir} is not writable: {ex.Message}")]);
        }
    }
}

static partial class HostLog
{
    [LoggerMessage(1100, LogLevel.Information, "Tern started; serving {Count} listeners as {HostName}, data in {DataDirectory}")]
    public static partial void Started(ILogger logger, string hostName, int count, string dataDirectory);

    [LoggerMessage(1101, LogLevel.Warning, "No users yet. Add one: tern domain add example.com; tern user add alice@example.com")]
    public static partial void NoUsers(ILogger logger);

    [LoggerMessage(1102, LogLevel.Error, "Accounts database unavailable: {Reason}")]
    public static partial void AccountsUnavailable(ILogger logger, string reason);
}
