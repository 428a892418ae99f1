using Microsoft.Data.Sqlite;

namespace Tern.Accounts;

// Aliases and recipient resolution.
public sealed partial class SqliteAccountStore
{
    /// <summary>Deepest chain of aliases followed before the address is treated as a loop.</summary>
    public const int MaxAliasDepth = 10;

    public async Task<IReadOnlyList<AliasInfo>> ListAliasesAsync(CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "SELECT source, target FROM aliases ORDER BY domain, source, rowid;");
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var aliases = new List<AliasInfo>();
        string? source = null;
        List<string> targets = [];
        while (await reader.ReadAsync(cancellationToken))
        {
            var rowSource = reader.GetString(0);
            if (!string.Equals(rowSource, source, StringComparison.OrdinalIgnoreCase))
            {
                if (source is not null)
                    aliases.Add(new AliasInfo(source, targets));
                source = rowSource;
                targets = [];
            }
            targets.Add(reader.GetString(1));
        }
        if (source is not null)
            aliases.Add(new AliasInfo(source, targets));
        return aliases;
    }

    /// <summary>Adds an alias, or more targets to an existing one. The source is an address or a catch-all
    /// <c>@domain</c> of a local domain; targets are addresses, local or remote.</summary>
    public async Task AddAliasAsync(string source, IReadOnlyList<string> targets, CancellationToken cancellationToken = default)
    {
        var normalizedSource = NormalizeAliasSource(source, out var domain);
        if (targets.Count == 0)
            throw new AccountException("an alias needs at least one target");
        var normalizedTargets = new List<string>();
        foreach (var target in targets)
        {
            var normalized = AccountAddress.Normalize(target);
            if (string.Equals(normalized, normalizedSource, StringComparison.OrdinalIgnoreCase))
                throw new AccountException($"the alias {normalizedSource} cannot point to itself");
            if (!normalizedTargets.Contains(normalized, StringComparer.OrdinalIgnoreCase))
                normalizedTargets.Add(normalized);
        }

        await using var connection = await OpenAsync(cancellationToken);
        await using var transaction = await WriteTransaction.BeginAsync(connection, cancellationToken);
        if (!await IsLocalDomainAsync(connection, domain, cancellationToken))
            throw new AccountException($"{domain} is not a local domain; add it first with: tern domain add {domain}");
        // An exact user wins over an alias of the same address, so such an alias would never be used.
        if (!normalizedSource.StartsWith('@') && await FindUserAsync(connection, normalizedSource, cancellationToken) is not null)
            throw new AccountException($"{normalizedSource} is a user; an alias with the same address would never be used");
        foreach (var target in normalizedTargets)
        {
            await using var command = Command(connection,
                "INSERT INTO aliases (source, target, domain) VALUES ($source, $target, $domain) ON CONFLICT DO NOTHING;",
                ("$source", normalizedSource), ("$target", target), ("$domain", domain));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        AccountsLog.AliasAdded(logger, normalizedSource, string.Join(", ", normalizedTargets));
    }

    public async Task<bool> RemoveAliasAsync(string source, CancellationToken cancellationToken = default)
    {
        string normalizedSource;
        try
        {
            normalizedSource = NormalizeAliasSource(source, out _);
        }
        catch (AccountException)
        {
            return false; // not a valid source, so certainly not a stored one
        }
        await using var connection = await OpenAsync(cancellationToken);
        await using var command = Command(connection, "DELETE FROM aliases WHERE source = $source;", ("$source", normalizedSource));
        bool removed = await command.ExecuteNonQueryAsync(cancellationToken) > 0;
        if (removed)
            AccountsLog.AliasRemoved(logger, normalizedSource);
        return removed;
    }

    /// <summary>An exact user first, then an exact alias, then the domain's catch-all; alias targets that are
    /// local are expanded again, up to <see cref="MaxAliasDepth"/> levels, a loop making the whole address fail.</summary>
    public async Task<RecipientResolution> ResolveRecipientAsync(string address, CancellationToken cancellationToken = default)
    {
        if (!AccountAddress.TryNormalize(address, out var normalized, out _))
            return new RecipientResolution(RecipientStatus.Unknown, [], []);
        await using var connection = await OpenAsync(cancellationToken);
        return await ResolveAsync(connection, normalized, cancellationToken);
    }

    public async Task<IReadOnlyList<string>> GetSendAsAddressesAsync(UserAccount user, CancellationToken cancellationToken = default)
    {
        await using var connection = await OpenAsync(cancellationToken);
        var current = await FindUserAsync(connection, user.Address, cancellationToken);
        if (current is null || current.Id != user.Id)
            return [];
        var addresses = new List<string> { current.Address };
        // Catch-alls are left out: they would let a user send as any unclaimed address of the domain.
        var sources = new List<string>();
        await using (var command = Command(connection, "SELECT DISTINCT source FROM aliases WHERE source NOT LIKE '@%' ORDER BY source;"))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
                sources.Add(reader.GetString(0));
        }
        foreach (var source in sources)
        {
            var resolution = await ResolveAsync(connection, source, cancellationToken);
            if (resolution.Status == RecipientStatus.Found && resolution.LocalUsers.Any(u => u.Id == current.Id))
                addresses.Add(source);
        }
        return addresses;
    }

    static string NormalizeAliasSource(string source, out string domain)
    {
        var text = (source ?? "").Trim();
        // "*@domain" is accepted too: on a command line a leading '@' names a response file.
        if (text.StartsWith("*@", StringComparison.Ordinal))
            text = text[1..];
        if (text.StartsWith('@'))
        {
            domain = AccountAddress.NormalizeDomain(text[1..]);
            return "@" + domain;
        }
        var normalized = AccountAddress.Normalize(text);
        domain = AccountAddress.DomainOf(normalized);
        return normalized;
    }

    async Task<RecipientResolution> ResolveAsync(SqliteConnection connection, string address, CancellationToken cancellationToken)
    {
        if (!await IsLocalDomainAsync(connection, AccountAddress.DomainOf(address), cancellationToken))
            return new RecipientResolution(RecipientStatus.NotLocal, [], []);

        var expansion = new Expansion();
        await ExpandAsync(connection, address, depth: 0, path: [], expansion, cancellationToken);
        if (expansion.Loop)
        {
            AccountsLog.AliasLoop(logger, address);
            return new RecipientResolution(RecipientStatus.Loop, [], []);
        }
        if (expansion.Users.Count > 0 || expansion.Remote.Count > 0)
            return new RecipientResolution(RecipientStatus.Found, expansion.Users, expansion.Remote);
        return new RecipientResolution(expansion.Disabled ? RecipientStatus.Disabled : RecipientStatus.Unknown, [], []);
    }

    /// <summary>Adds what <paramref name="address"/> (in a local domain) delivers to. <paramref name="path"/> holds the
    /// alias sources being expanded above this one: meeting one again is a loop, while two aliases that share a
    /// target are not.</summary>
    async Task ExpandAsync(SqliteConnection connection, string address, int depth, HashSet<string> path, Expansion expansion, CancellationToken cancellationToken)
    {
        var user = await FindUserAsync(connection, address, cancellationToken);
        if (user is not null)
        {
            if (!user.Enabled)
                expansion.Disabled = true;
            else if (!expansion.Users.Any(u => u.Id == user.Id))
                expansion.Users.Add(user);
            return;
        }

        var source = address;
        var targets = await AliasTargetsAsync(connection, source, cancellationToken);
        if (targets.Count == 0)
        {
            source = "@" + AccountAddress.DomainOf(address);
            targets = await AliasTargetsAsync(connection, source, cancellationToken);
        }
        if (targets.Count == 0)
            return; // unknown; the caller decides what an expansion with nothing in it means

        if (depth >= MaxAliasDepth || !path.Add(source))
        {
            expansion.Loop = true;
            return;
        }
        foreach (var target in targets)
        {
            if (expansion.Loop)
                break;
            if (await IsLocalDomainAsync(connection, AccountAddress.DomainOf(target), cancellationToken))
                await ExpandAsync(connection, target, depth + 1, path, expansion, cancellationToken);
            else if (!expansion.Remote.Contains(target, StringComparer.OrdinalIgnoreCase))
                expansion.Remote.Add(target);
        }
        path.Remove(source);
    }

    static async Task<List<string>> AliasTargetsAsync(SqliteConnection connection, string source, CancellationToken cancellationToken)
    {
        await using var command = Command(connection, "SELECT target FROM aliases WHERE source = $source ORDER BY rowid;", ("$source", source));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var targets = new List<string>();
        while (await reader.ReadAsync(cancellationToken))
            targets.Add(reader.GetString(0));
        return targets;
    }

    sealed class Expansion
    {
        public List<UserAccount> Users { get; } = [];
        public List<string> Remote { get; } = [];
        public bool Disabled { get; set; }
        public bool Loop { get; set; }
    }
}
