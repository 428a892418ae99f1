using Tern.Configuration;

namespace Tern.Delivery.Remote;

/// <summary>Exponential backoff for deferred recipients: <c>FirstRetryDelaySeconds</c>, doubled after each failed
/// attempt up to <c>MaxRetryDelaySeconds</c>, until <c>MaxQueueLifetimeSeconds</c> after arrival (RFC 5321 4.5.4.1:
/// retry at least 30 minutes apart and give up after 4-5 days; both are configurable).</summary>
/// <remarks>The schedule lives in each recipient's <c>attempts</c> and <c>nextAttempt</c> in the <c>.env</c>, so a
/// restart keeps it: nothing here is held in memory.</remarks>
public sealed class RetrySchedule(RelayOptions options)
{
    /// <summary>The delay after the <paramref name="attempts"/>-th failed attempt (1 for the first).</summary>
    public TimeSpan DelayAfter(int attempts)
    {
        double seconds = options.FirstRetryDelaySeconds;
        for (int i = 1; i < attempts && seconds < options.MaxRetryDelaySeconds; i++)
            seconds *= 2;
        return TimeSpan.FromSeconds(Math.Min(seconds, options.MaxRetryDelaySeconds));
    }

    /// <summary>When a message that arrived at <paramref name="arrived"/> is given up.</summary>
    public DateTimeOffset ExpiresAt(DateTimeOffset arrived) => arrived.AddSeconds(options.MaxQueueLifetimeSeconds);

    /// <summary>The next attempt after a temporary failure, or null when the queue lifetime is over and the
    /// recipient fails for good. The last retry is pulled in to the expiry time, so the lifetime is honoured exactly.</summary>
    public DateTimeOffset? NextAttempt(DateTimeOffset arrived, int attempts, DateTimeOffset now)
    {
        var expires = ExpiresAt(arrived);
        if (now >= expires)
            return null;
        var next = now + DelayAfter(attempts);
        return next < expires ? next : expires;
    }
}
