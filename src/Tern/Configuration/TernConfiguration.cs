using Microsoft.Extensions.Configuration;

namespace Tern.Configuration;

/// <summary>A problem with a setting, named by its key.</summary>
public sealed record ConfigProblem(string Key, string Message)
{
    public override string ToString() => $"{Key}: {Message}";
}

/// <summary>A configuration that cannot be used; <see cref="Problems"/> names each bad key.</summary>
public sealed class ConfigurationException(IReadOnlyList<ConfigProblem> problems)
    : Exception(string.Join(Environment.NewLine, problems))
{
    public IReadOnlyList<ConfigProblem> Problems { get; } = problems;
}

/// <summary>Builds the configuration: the file (JSON with comments), then <c>TERN_*</c> environment variables
/// (<c>TERN_Smtp__MaxMessageSize</c>), then <c>--set Key=Value</c> overrides, then <c>--data</c>.</summary>
public static class TernConfiguration
{
    /// <summary>The file used when <c>--config</c> is not given, if it exists in the working directory.</summary>
    public const string DefaultFileName = "tern.json";

    public static IConfigurationRoot Build(string? configFile, string? dataDirectory, IEnumerable<string>? overrides = null)
    {
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            var full = Path.GetFullPath(configFile);
            if (!File.Exists(full))
                throw new ConfigurationException([new ConfigProblem("--config", $"file not found: {full}")]);
            builder.AddJsonFile(full, optional: false, reloadOnChange: false);
        }
        else if (File.Exists(DefaultFileName))
        {
            builder.AddJsonFile(Path.GetFullPath(DefaultFileName), optional: true, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables("TERN_");

        var extra = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        foreach (var item in overrides ?? [])
        {
            int eq = item.IndexOf('=');
            if (eq <= 0)
                throw new ConfigurationException([new ConfigProblem("--set", $"'{item}' is not Key=Value (for example Smtp:Mx:Listen:0=127.0.0.1:2525)")]);
            extra[item[..eq].Trim()] = item[(eq + 1)..];
        }
        if (dataDirectory is not null)
            extra[nameof(TernOptions.DataDirectory)] = dataDirectory;
        builder.AddInMemoryCollection(extra);
        try
        {
            return builder.Build();
        }
        catch (Exception ex) when (ex is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new ConfigurationException([new ConfigProblem(configFile ?? DefaultFileName, ex.GetBaseException().Message)]);
        }
    }

    /// <summary>Binds and validates; throws <see cref="ConfigurationException"/> listing every problem.</summary>
    public static TernOptions Bind(IConfiguration configuration)
    {
        var options = new TernOptions();
        var problems = new List<ConfigProblem>();
        try
        {
            // Lists replace the defaults instead of being appended to them.
            ClearConfiguredLists(configuration, options);
            problems.AddRange(FindUnknownKeys(configuration));
            if (problems.Count > 0)
                throw new ConfigurationException(problems);
            configuration.Bind(options);
        }
        catch (InvalidOperationException ex)
        {
            var match = System.Text.RegularExpressions.Regex.Match(ex.Message, @"value '(?<value>.*)' at '(?<key>[^']*)' to type '(?<type>[^']*)'");
            problems.Add(match.Success
                ? new ConfigProblem(match.Groups["key"].Value, $"'{match.Groups["value"].Value}' is not a valid {FriendlyType(match.Groups["type"].Value)}")
                : new ConfigProblem("configuration", ex.Message));
            throw new ConfigurationException(problems);
        }
        problems.AddRange(TernOptionsValidator.Validate(options));
        if (problems.Count > 0)
            throw new ConfigurationException(problems);
        return options;
    }

    static void ClearConfiguredLists(IConfiguration configuration, TernOptions options)
    {
        void Clear(string key, List<string> list)
        {
            if (configuration.GetSection(key).Exists()) list.Clear();
        }
        Clear("Smtp:Mx:Listen", options.Smtp.Mx.Listen);
        Clear("Smtp:Submission:Listen", options.Smtp.Submission.Listen);
        Clear("Smtp:Submissions:Listen", options.Smtp.Submissions.Listen);
        Clear("Pop3:Plain:Listen", options.Pop3.Plain.Listen);
        Clear("Pop3:Tls:Listen", options.Pop3.Tls.Listen);
        Clear("Imap:Plain:Listen", options.Imap.Plain.Listen);
        Clear("Imap:Tls:Listen", options.Imap.Tls.Listen);
        Clear("Http:Listen", options.Http.Listen);
        Clear("Dns:Servers", options.Dns.Servers);
        Clear("Relay:RequireTlsDomains", options.Relay.RequireTlsDomains);
    }

    static string FriendlyType(string type) => type switch
    {
        "System.Int32" or "System.Int64" => "whole number",
        "System.Boolean" => "true/false value",
        _ => type.Replace("System.", "", StringComparison.Ordinal),
    };

    /// <summary>Every key that names no setting: a typo must not be silently ignored.</summary>
    static IEnumerable<ConfigProblem> FindUnknownKeys(IConfiguration configuration)
    {
        foreach (var (key, value) in configuration.AsEnumerable())
        {
            if (value is null)
                continue;
            if (!IsKnown(typeof(TernOptions), key.Split(':')))
                yield return new ConfigProblem(key, "unknown setting (see tern.example.json)");
        }
    }

    static bool IsKnown(Type type, ReadOnlySpan<string> path)
    {
        if (path.Length == 0)
            return true;
        if (type.IsGenericType && type.GetGenericTypeDefinition() == typeof(List<>))
            return int.TryParse(path[0], out _) && IsKnown(type.GetGenericArguments()[0], path[1..]);
        if (type == typeof(string) || type.IsPrimitive || type.IsEnum)
            return false;
        var property = type.GetProperty(path[0],
            System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.IgnoreCase);
        return property is not null && property.CanWrite && IsKnown(property.PropertyType, path[1..]);
    }
}
