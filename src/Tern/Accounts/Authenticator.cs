using System.Net;
using Microsoft.Extensions.Logging;
using Tern.Configuration;

namespace Tern.Accounts;

/// <summary>The one login check of every protocol: lockout, password, failure delay, log event.</summary>
/// <remarks>Every failure, for an unknown user, a wrong password, a disabled account or a locked-out client, is
/// answered no sooner than <see cref="AuthOptions.FailureDelayMilliseconds"/> after the attempt began, so neither
/// the answer nor its timing tells which of them it was (the store also hashes against a dummy for unknown users).</remarks>
public sealed class Authenticator(
    IAccountStore store, LoginThrottle throttle, TernOptions options, TimeProvider time, ILogger<Authenticator> logger) : IAuthenticator
{
    readonly TimeSpan failureDelay = TimeSpan.FromMilliseconds(Math.Max(0, options.Auth.FailureDelayMilliseconds));

    public async Task<AuthenticationResult> AuthenticateAsync(
        string address, string password, IPAddress? client, CancellationToken cancellationToken = default)
    {
        long started = time.GetTimestamp();
        var clientText = client?.ToString() ?? "unknown";
        var shownAddress = AccountAddress.Printable(address ?? "");

        if (throttle.IsLockedOut(client, out var until))
        {
            // The password is not checked at all: a locked-out client learns nothing more, right or wrong.
            AccountsLog.LoginLockedOut(logger, shownAddress, clientText, until);
            await DelayRemainderAsync(started, cancellationToken);
            return new AuthenticationResult(AuthenticationOutcome.LockedOut, null);
        }

        var user = await store.VerifyPasswordAsync(address ?? "", password ?? "", cancellationToken);
        if (user is not null)
        {
            throttle.RecordSuccess(client);
            AccountsLog.LoginSucceeded(logger, user.Address, clientText);
            return new AuthenticationResult(AuthenticationOutcome.Success, user);
        }

        AccountsLog.LoginFailed(logger, shownAddress, clientText);
        if (throttle.RecordFailure(client, out int failures))
            AccountsLog.ClientLockedOut(logger, clientText, failures);
        await DelayRemainderAsync(started, cancellationToken);
        return new AuthenticationResult(AuthenticationOutcome.Failed, null);
    }

    Task DelayRemainderAsync(long started, CancellationToken cancellationToken)
    {
        var remaining = failureDelay - time.GetElapsedTime(started);
        return remaining > TimeSpan.Zero ? Task.Delay(remaining, time, cancellationToken) : Task.CompletedTask;
    }
}
