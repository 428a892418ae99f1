using System.Text;

namespace Tern.Accounts;

/// <summary>One <c>[USERn]</c> section of the demo's settings.ini.</summary>
/// <param name="Section">The section name, for messages ("USER3").</param>
public sealed record DemoUser(string Section, string? UserName, string? Password, string? Email);

/// <summary>What an import did, one line per user.</summary>
public sealed record DemoImportSummary(int Imported, int Skipped, int Failed, IReadOnlyList<string> DomainsAdded, IReadOnlyList<string> Notes);

/// <summary>Reads the users of the original demo's <c>settings.ini</c> (<c>[USERS] Count=N</c>, then
/// <c>[USER0]</c> ... <c>[USER&lt;N-1&gt;]</c> with <c>UserName</c>, <c>Password</c>, <c>Email</c>) and adds them.
/// The Email is the login address from now on; the clear-text passwords are hashed on the way in.</summary>
public static class DemoSettingsImport
{
    /// <summary>A Count above this is taken for a damaged file.</summary>
    public const int MaxUsers = 100_000;

    /// <summary>Parses an INI text the way Windows profile functions do: sections and keys ignore case, the first
    /// '=' splits key from value, lines starting with ';' or '#' are comments, surrounding quotes are dropped.</summary>
    public static Dictionary<string, Dictionary<string, string>> ParseIni(string text)
    {
        var sections = new Dictionary<string, Dictionary<string, string>>(StringComparer.OrdinalIgnoreCase);
        Dictionary<string, string>? current = null;
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim().TrimStart('\uFEFF');
            if (line.Length == 0 || line[0] == ';' || line[0] == '#')
                continue;
            if (line[0] == '[')
            {
                int end = line.IndexOf(']');
                var name = (end > 0 ? line[1..end] : line[1..]).Trim();
                if (!sections.TryGetValue(name, out current))
                    sections[name] = current = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
                continue;
            }
            int eq = line.IndexOf('=');
            if (current is null || eq <= 0)
                continue;
            var key = line[..eq].Trim();
            var value = line[(eq + 1)..].Trim();
            if (value.Length >= 2 && ((value[0] == '"' && value[^1] == '"') || (value[0] == '\'' && value[^1] == '\'')))
                value = value[1..^1];
            // The first occurrence wins, as with GetPrivateProfileString.
            current.TryAdd(key, value);
        }
        return sections;
    }

    /// <summary>Reads the file: UTF-8 when it is valid UTF-8, otherwise Latin-1 (the demo wrote the ANSI code page).</summary>
    public static async Task<IReadOnlyList<DemoUser>> ReadUsersAsync(string path, CancellationToken cancellationToken = default)
    {
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new AccountException($"cannot read {path}: {ex.Message}");
        }
        string text;
        try
        {
            text = new UTF8Encoding(false, true).GetString(bytes);
        }
        catch (DecoderFallbackException)
        {
            text = Encoding.Latin1.GetString(bytes);
        }
        return ReadUsers(ParseIni(text), path);
    }

    public static IReadOnlyList<DemoUser> ReadUsers(Dictionary<string, Dictionary<string, string>> ini, string fileName = "settings.ini")
    {
        if (!ini.TryGetValue("USERS", out var usersSection) || !usersSection.TryGetValue("Count", out var countText))
            throw new AccountException($"{fileName} has no [USERS] section with a Count key");
        if (!int.TryParse(countText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int count))
            throw new AccountException($"{fileName}: [USERS] Count '{countText}' is not a number");
        if (count > MaxUsers)
            throw new AccountException($"{fileName}: [USERS] Count {count} is more than {MaxUsers}");
        var users = new List<DemoUser>(count);
        for (int i = 0; i < count; i++)
        {
            var section = $"USER{i}";
            if (!ini.TryGetValue(section, out var values))
            {
                users.Add(new DemoUser(section, null, null, null));
                continue;
            }
            users.Add(new DemoUser(section, Get(values, "UserName"), Get(values, "Password"), Get(values, "Email")));
        }
        return users;
    }

    /// <summary>Adds each user; a user that exists is skipped, a missing domain is added as local.</summary>
    public static async Task<DemoImportSummary> ImportAsync(IAccountStore store, IReadOnlyList<DemoUser> users, CancellationToken cancellationToken = default)
    {
        int imported = 0, skipped = 0, failed = 0;
        var domainsAdded = new List<string>();
        var notes = new List<string>();
        foreach (var user in users)
        {
            // The demo logged users in by name; Tern by address, so the Email is the login. A name that is
            // itself an address stands in for a missing Email.
            var login = !string.IsNullOrWhiteSpace(user.Email) ? user.Email
                : user.UserName is not null && user.UserName.Contains('@') ? user.UserName : null;
            if (login is null)
            {
                failed++;
                notes.Add(user.UserName is null && user.Password is null
                    ? $"[{user.Section}] missing from the file"
                    : $"[{user.Section}] {user.UserName}: no Email, so no address to log in with");
                continue;
            }
            if (!AccountAddress.TryNormalize(login, out var address, out var error))
            {
                failed++;
                notes.Add($"[{user.Section}] {error}");
                continue;
            }
            if (string.IsNullOrEmpty(user.Password))
            {
                failed++;
                notes.Add($"[{user.Section}] {address}: no Password");
                continue;
            }
            if (await store.FindUserAsync(address, cancellationToken) is not null)
            {
                skipped++;
                notes.Add($"{address}: already exists, skipped");
                continue;
            }
            var domain = AccountAddress.DomainOf(address);
            try
            {
                if (!await store.IsLocalDomainAsync(domain, cancellationToken))
                {
                    await store.AddDomainAsync(domain, cancellationToken);
                    domainsAdded.Add(domain);
                    notes.Add($"domain {domain} added");
                }
                await store.AddUserAsync(address, user.Password, 0, cancellationToken);
                imported++;
                notes.Add(string.IsNullOrEmpty(user.UserName) || string.Equals(user.UserName, address, StringComparison.OrdinalIgnoreCase)
                    ? $"{address}: imported"
                    : $"{address}: imported (demo user name {user.UserName}; logs in with the address now)");
            }
            catch (AccountException ex)
            {
                failed++;
                notes.Add($"[{user.Section}] {address}: {ex.Message}");
            }
        }
        return new DemoImportSummary(imported, skipped, failed, domainsAdded, notes);
    }

    static string? Get(Dictionary<string, string> values, string key) =>
        values.TryGetValue(key, out var value) && value.Length > 0 ? value : null;
}
