using System.Net;

namespace Tern.Accounts;

/// <summary>A user: logs in with its full address to SMTP AUTH, POP3 and IMAP.</summary>
/// <param name="Id">Stable number; the store keeps the user's mail under <c>accounts/&lt;Id&gt;/</c>.</param>
/// <param name="QuotaBytes">Storage quota in octets; 0 means unlimited.</param>
public sealed record UserAccount(long Id, string Address, bool Enabled, long QuotaBytes, DateTimeOffset Created);

public sealed record DomainInfo(string Name, DateTimeOffset Created);

/// <summary>An alias maps an address, or a catch-all <c>@domain</c>, to one or more targets.</summary>
public sealed record AliasInfo(string Source, IReadOnlyList<string> Targets);

/// <summary>Where mail for one address goes after alias expansion.</summary>
/// <param name="LocalUsers">Local users that receive a copy.</param>
/// <param name="RemoteAddresses">Addresses of other domains that an alias forwards to.</param>
public sealed record RecipientResolution(
    RecipientStatus Status, IReadOnlyList<UserAccount> LocalUsers, IReadOnlyList<string> RemoteAddresses);

public enum RecipientStatus
{
    /// <summary>The address is not in a local domain.</summary>
    NotLocal,
    /// <summary>A local domain, but no such user or alias.</summary>
    Unknown,
    /// <summary>The address resolves to at least one user or remote target.</summary>
    Found,
    /// <summary>Alias expansion ran into a loop or went too deep.</summary>
    Loop,
    /// <summary>The user exists but is disabled.</summary>
    Disabled,
}

/// <summary>Domains, users and aliases. SQLite now, PostgreSQL later; every read goes to the database,
/// so a change made with the CLI while the server runs takes effect at once.</summary>
public interface IAccountStore
{
    Task<IReadOnlyList<DomainInfo>> ListDomainsAsync(CancellationToken cancellationToken = default);
    Task AddDomainAsync(string domain, CancellationToken cancellationToken = default);
    Task<bool> RemoveDomainAsync(string domain, CancellationToken cancellationToken = default);
    Task<bool> IsLocalDomainAsync(string domain, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<UserAccount>> ListUsersAsync(CancellationToken cancellationToken = default);
    Task<UserAccount?> FindUserAsync(string address, CancellationToken cancellationToken = default);
    Task<UserAccount?> FindUserByIdAsync(long id, CancellationToken cancellationToken = default);

    /// <summary>Adds a user of a local domain; throws <see cref="AccountException"/> when it exists or the domain is not local.</summary>
    Task<UserAccount> AddUserAsync(string address, string password, long quotaBytes = 0, CancellationToken cancellationToken = default);
    Task SetPasswordAsync(string address, string password, CancellationToken cancellationToken = default);
    Task SetEnabledAsync(string address, bool enabled, CancellationToken cancellationToken = default);
    Task SetQuotaAsync(string address, long quotaBytes, CancellationToken cancellationToken = default);
    Task<bool> RemoveUserAsync(string address, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AliasInfo>> ListAliasesAsync(CancellationToken cancellationToken = default);
    Task AddAliasAsync(string source, IReadOnlyList<string> targets, CancellationToken cancellationToken = default);
    Task<bool> RemoveAliasAsync(string source, CancellationToken cancellationToken = default);

    /// <summary>Expands aliases (catch-all last, loops detected) and tells where mail for an address goes.</summary>
    Task<RecipientResolution> ResolveRecipientAsync(string address, CancellationToken cancellationToken = default);

    /// <summary>The addresses a user may send as: its own and every alias that resolves to it.</summary>
    Task<IReadOnlyList<string>> GetSendAsAddressesAsync(UserAccount user, CancellationToken cancellationToken = default);

    /// <summary>Checks a password in constant time. Null for an unknown user, a disabled one or a wrong password alike.</summary>
    Task<UserAccount?> VerifyPasswordAsync(string address, string password, CancellationToken cancellationToken = default);
}

/// <summary>Login for every protocol: password check plus the per-address failure delay and lockout.</summary>
public interface IAuthenticator
{
    /// <summary>Verifies a login. A failure is answered after the configured delay, the same for an unknown user
    /// as for a wrong password; a client address over its failure budget is refused without checking.</summary>
    Task<AuthenticationResult> AuthenticateAsync(string address, string password, IPAddress? client, CancellationToken cancellationToken = default);
}

public enum AuthenticationOutcome { Success, Failed, LockedOut }

public sealed record AuthenticationResult(AuthenticationOutcome Outcome, UserAccount? User)
{
    public bool Succeeded => Outcome == AuthenticationOutcome.Success;
}

/// <summary>A refused account operation with a message fit for the CLI or a log.</summary>
public sealed class AccountException(string message) : Exception(message);
