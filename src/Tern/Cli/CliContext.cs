using System.CommandLine;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tern.Configuration;
using Tern.Hosting;

namespace Tern.Cli;

/// <summary>The options every command shares (<c>--config</c>, <c>--data</c>, <c>--set</c>) and the way a command
/// gets at the configured services without starting the server.</summary>
public static class CliContext
{
    public static readonly Option<string?> ConfigOption = new("--config", "-c")
    {
        Description = $"Configuration file (JSON, comments allowed). Default: ./{TernConfiguration.DefaultFileName} if it exists.",
        Recursive = true,
    };

    public static readonly Option<string?> DataOption = new("--data", "-d")
    {
        Description = "Data folder (overrides DataDirectory). Default: ./data.",
        Recursive = true,
    };

    public static readonly Option<string[]> SetOption = new("--set")
    {
        Description = "Override one setting: --set Key=Value, for example --set Smtp:Mx:Listen:0=127.0.0.1:2525. Repeatable.",
        Recursive = true,
        AllowMultipleArgumentsPerToken = false,
    };

    public static void AddGlobalOptions(RootCommand root)
    {
        root.Options.Add(ConfigOption);
        root.Options.Add(DataOption);
        root.Options.Add(SetOption);
    }

    public static (IConfigurationRoot Configuration, TernOptions Options) LoadOptions(ParseResult parse)
    {
        var configuration = TernConfiguration.Build(
            parse.GetValue(ConfigOption), parse.GetValue(DataOption), parse.GetValue(SetOption) ?? []);
        return (configuration, TernConfiguration.Bind(configuration));
    }

    /// <summary>The domain services (accounts, store, queue) for a CLI command; logging goes to stderr, warnings only.</summary>
    public static ServiceProvider BuildServices(ParseResult parse)
    {
        var (_, options) = LoadOptions(parse);
        TernHost.PrepareDataDirectory(options);
        var services = new ServiceCollection();
        services.AddLogging(l => l.AddSimpleConsole(c => c.SingleLine = true).SetMinimumLevel(LogLevel.Warning)
            .AddConsole(c => c.LogToStandardErrorThreshold = LogLevel.Trace));
        services.AddTernCore(options);
        return services.BuildServiceProvider();
    }

    /// <summary>Reads a password without echo from the terminal (asked twice), or one line from stdin.</summary>
    public static string ReadPassword(bool fromStdin, string prompt = "Password")
    {
        if (fromStdin || Console.IsInputRedirected)
        {
            var line = Console.In.ReadLine();
            if (string.IsNullOrEmpty(line))
                throw new CliException("no password on standard input");
            return line;
        }
        var first = ReadHidden($"{prompt}: ");
        var second = ReadHidden($"{prompt} (again): ");
        if (first != second)
            throw new CliException("the passwords do not match");
        if (first.Length == 0)
            throw new CliException("empty password");
        return first;
    }

    static string ReadHidden(string prompt)
    {
        Console.Error.Write(prompt);
        var chars = new System.Text.StringBuilder();
        while (true)
        {
            var key = Console.ReadKey(intercept: true);
            if (key.Key == ConsoleKey.Enter) break;
            if (key.Key == ConsoleKey.Backspace) { if (chars.Length > 0) chars.Length--; continue; }
            chars.Append(key.KeyChar);
        }
        Console.Error.WriteLine();
        return chars.ToString();
    }
}

/// <summary>A command that cannot be done: printed as one line "tern: message", exit code 1.</summary>
public sealed class CliException(string message) : Exception(message);
