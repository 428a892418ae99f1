using System.Runtime.InteropServices;

namespace Tern.Bench;

/// <summary>What the results were measured on.</summary>
public static class MachineInfo
{
    public static IEnumerable<(string Key, string Value)> Describe()
    {
        yield return ("Cores", Environment.ProcessorCount.ToString(System.Globalization.CultureInfo.InvariantCulture));
        yield return ("CPU", Read("/proc/cpuinfo", "model name") ?? RuntimeInformation.ProcessArchitecture.ToString());
        var kb = Read("/proc/meminfo", "MemTotal");
        if (kb is not null && long.TryParse(kb.Split(' ')[0], out long total))
            yield return ("Memory", $"{total / 1024.0 / 1024.0:F1} GiB");
        yield return ("OS", OsName() ?? RuntimeInformation.OSDescription);
        yield return ("Kernel", File.Exists("/proc/sys/kernel/osrelease") ? File.ReadAllText("/proc/sys/kernel/osrelease").Trim() : "?");
        yield return (".NET", RuntimeInformation.FrameworkDescription);
    }

    /// <summary>The 1, 5 and 15 minute load averages: other work on the machine skews every figure.</summary>
    public static string LoadAverage()
    {
        try { return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)); }
        catch (IOException) { return "?"; }
    }

    static string? Read(string file, string key)
    {
        if (!File.Exists(file))
            return null;
        foreach (var line in File.ReadLines(file))
        {
            if (line.StartsWith(key, StringComparison.Ordinal))
                return line[(line.IndexOf(':') + 1)..].Trim();
        }
        return null;
    }

    static string? OsName()
    {
        if (!File.Exists("/etc/os-release"))
            return null;
        var line = File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal));
        return line?["PRETTY_NAME=".Length..].Trim('"');
    }
}
