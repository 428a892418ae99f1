using Microsoft.Extensions.Logging;

namespace Tern.Accounts;

/// <summary>Typed log events of the accounts area (event ids 2000-2099). A password is never an argument.</summary>
static partial class AccountsLog
{
    [LoggerMessage(2000, LogLevel.Warning, "Login failed for {Address} from {Client}")]
    public static partial void LoginFailed(ILogger logger, string address, string client);

    [LoggerMessage(2001, LogLevel.Warning, "Login refused for {Address} from {Client}: too many failures, locked out until {Until:u}")]
    public static partial void LoginLockedOut(ILogger logger, string address, string client, DateTimeOffset until);

    [LoggerMessage(2002, LogLevel.Warning, "{Client} locked out after {Failures} failed logins")]
    public static partial void ClientLockedOut(ILogger logger, string client, int failures);

    [LoggerMessage(2003, LogLevel.Information, "Login succeeded for {Address} from {Client}")]
    public static partial void LoginSucceeded(ILogger logger, string address, string client);

    [LoggerMessage(2010, LogLevel.Information, "Domain {Domain} added")]
    public static partial void DomainAdded(ILogger logger, string domain);

    [LoggerMessage(2011, LogLevel.Information, "Domain {Domain} removed")]
    public static partial void DomainRemoved(ILogger logger, string domain);

    [LoggerMessage(2012, LogLevel.Information, "User {Address} added with id {Id}")]
    public static partial void UserAdded(ILogger logger, string address, long id);

    [LoggerMessage(2013, LogLevel.Information, "User {Address} removed")]
    public static partial void UserRemoved(ILogger logger, string address);

    [LoggerMessage(2014, LogLevel.Information, "Password of {Address} changed")]
    public static partial void PasswordChanged(ILogger logger, string address);

    [LoggerMessage(2015, LogLevel.Information, "User {Address} enabled: {Enabled}")]
    public static partial void UserEnabledChanged(ILogger logger, string address, bool enabled);

    [LoggerMessage(2016, LogLevel.Information, "Alias {Source} -> {Targets} added")]
    public static partial void AliasAdded(ILogger logger, string source, string targets);

    [LoggerMessage(2017, LogLevel.Information, "Alias {Source} removed")]
    public static partial void AliasRemoved(ILogger logger, string source);

    [LoggerMessage(2018, LogLevel.Warning, "Alias expansion of {Address} loops or is deeper than 10 levels; mail to it is refused")]
    public static partial void AliasLoop(ILogger logger, string address);
}
