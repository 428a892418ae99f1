using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Tern.Accounts;
using Tern.Configuration;

namespace Tern.Cli;

/// <summary>What the user, domain and alias commands share: services, error reporting, size parsing.</summary>
static class AccountCli
{
    /// <summary>Sets an action that gets the account store. A refused operation is one line "tern: message" on
    /// stderr and exit code 1: System.CommandLine's own exception handler would print a stack trace instead.</summary>
    public static void SetAccountAction(this Command command, Func<ParseResult, IServiceProvider, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                await using var services = CliContext.BuildServices(parse);
                return await action(parse, services, cancellationToken);
            }
            catch (Exception ex) when (ex is AccountException or CliException)
            {
                Console.Error.WriteLine($"tern: {ex.Message}");
                return 1;
            }
            catch (Microsoft.Data.Sqlite.SqliteException ex)
            {
                Console.Error.WriteLine($"tern: accounts database: {ex.Message}");
                return 1;
            }
            catch (ConfigurationException ex)
            {
                foreach (var problem in ex.Problems)
                    Console.Error.WriteLine($"tern: {problem}");
                return 2;
            }
        });
    }

    public static IAccountStore Accounts(this IServiceProvider services) => services.GetRequiredService<IAccountStore>();

    public static Argument<string> AddressArgument(string description = "The user's full address, for example alice@example.com.") =>
        new("ADDRESS") { Description = description };

    public static Option<bool> PasswordStdinOption() => new("--password-stdin")
    {
        Description = "Read the password from the first line of standard input (for scripts) instead of a prompt without echo.",
    };

    /// <summary>Parses a size: a number of bytes, or with a binary suffix K, M, G or T (10M = 10 MiB);
    /// "unlimited" or 0 means no limit.</summary>
    public static long ParseSize(string text)
    {
        var value = text.Trim();
        if (value.Equals("unlimited", StringComparison.OrdinalIgnoreCase) || value.Equals("none", StringComparison.OrdinalIgnoreCase))
            return 0;
        if (value.EndsWith("iB", StringComparison.OrdinalIgnoreCase))
            value = value[..^2];
        else if (value.EndsWith('B') || value.EndsWith('b'))
            value = value[..^1];
        long multiplier = 1;
        if (value.Length > 0 && "KMGT".Contains(char.ToUpperInvariant(value[^1])))
        {
            multiplier = char.ToUpperInvariant(value[^1]) switch { 'K' => 1L << 10, 'M' => 1L << 20, 'G' => 1L << 30, _ => 1L << 40 };
            value = value[..^1];
        }
        if (!decimal.TryParse(value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var number)
            || number < 0 || number * multiplier > long.MaxValue)
            throw new CliException($"'{text}' is not a size (examples: 1048576, 500K, 10M, 2G, unlimited)");
        return (long)(number * multiplier);
    }

    public static string FormatSize(long bytes)
    {
        if (bytes <= 0)
            return "unlimited";
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        double value = bytes;
        int unit = 0;
        while (value >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? $"{bytes} bytes" : string.Create(CultureInfo.InvariantCulture, $"{value:0.##} {units[unit]}");
    }

    public static string FormatTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    /// <summary>Prints rows as left-aligned columns under a header.</summary>
    public static void WriteTable(string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = new int[header.Length];
        foreach (var row in all)
            for (int i = 0; i < row.Length; i++)
                widths[i] = Math.Max(widths[i], row[i].Length);
        foreach (var row in all)
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
    }
}
