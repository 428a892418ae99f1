using System.Net;
using Tern.Accounts;
using Tern.Configuration;

namespace Tern.Tests.Accounts;

public sealed class LoginThrottleTests
{
    static readonly IPAddress Client = IPAddress.Parse("192.0.2.10");

    static (LoginThrottle Throttle, ManualTimeProvider Time) Create(int maxFailures = 3, int lockoutSeconds = 60)
    {
        var options = new TernOptions();
        options.Auth.MaxFailuresPerIp = maxFailures;
        options.Auth.LockoutSeconds = lockoutSeconds;
        var time = new ManualTimeProvider();
        return (new LoginThrottle(options, time), time);
    }

    [Fact]
    public void Client_is_locked_out_after_the_maximum_failures_until_the_window_passes()
    {
        var (throttle, time) = Create();
        Assert.False(throttle.RecordFailure(Client));
        Assert.False(throttle.RecordFailure(Client));
        Assert.False(throttle.IsLockedOut(Client));
        Assert.True(throttle.RecordFailure(Client));
        Assert.True(throttle.IsLockedOut(Client, out var until));
        Assert.Equal(time.GetUtcNow().AddSeconds(60), until);

        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(throttle.IsLockedOut(Client));
        time.Advance(TimeSpan.FromSeconds(1));
        Assert.False(throttle.IsLockedOut(Client));
        // A fresh budget afterwards.
        Assert.False(throttle.RecordFailure(Client));
        Assert.False(throttle.IsLockedOut(Client));
    }

    [Fact]
    public void Failures_spread_wider_than_the_window_do_not_lock_out()
    {
        var (throttle, time) = Create();
        for (int i = 0; i < 10; i++)
        {
            throttle.RecordFailure(Client);
            time.Advance(TimeSpan.FromSeconds(31));
        }
        Assert.False(throttle.IsLockedOut(Client));
    }

    [Fact]
    public void Success_resets_the_failure_count()
    {
        var (throttle, _) = Create();
        throttle.RecordFailure(Client);
        throttle.RecordFailure(Client);
        throttle.RecordSuccess(Client);
        throttle.RecordFailure(Client);
        throttle.RecordFailure(Client);
        Assert.False(throttle.IsLockedOut(Client));
    }

    [Fact]
    public void Other_clients_are_not_affected()
    {
        var (throttle, _) = Create(maxFailures: 1);
        throttle.RecordFailure(Client);
        Assert.True(throttle.IsLockedOut(Client));
        Assert.False(throttle.IsLockedOut(IPAddress.Parse("192.0.2.11")));
        Assert.False(throttle.IsLockedOut(null));
    }

    [Fact]
    public void IPv6_clients_count_per_slash_64_and_mapped_IPv4_counts_as_IPv4()
    {
        var (throttle, _) = Create(maxFailures: 2);
        throttle.RecordFailure(IPAddress.Parse("2001:db8:1:2::1"));
        throttle.RecordFailure(IPAddress.Parse("2001:db8:1:2:ffff::9"));
        Assert.True(throttle.IsLockedOut(IPAddress.Parse("2001:db8:1:2::abcd")));
        Assert.False(throttle.IsLockedOut(IPAddress.Parse("2001:db8:1:3::1")));

        throttle.RecordFailure(Client);
        throttle.RecordFailure(Client.MapToIPv6());
        Assert.True(throttle.IsLockedOut(Client));
    }

    [Fact]
    public void Expired_entries_are_pruned()
    {
        var (throttle, time) = Create(lockoutSeconds: 10);
        for (int i = 0; i < 500; i++)
            throttle.RecordFailure(new IPAddress([10, 0, (byte)(i >> 8), (byte)i]));
        Assert.Equal(500, throttle.Count);
        time.Advance(TimeSpan.FromSeconds(11));
        throttle.Prune();
        Assert.Equal(0, throttle.Count);
    }

    [Fact]
    public async Task Concurrent_failures_are_all_counted()
    {
        var (throttle, _) = Create(maxFailures: 1000);
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            for (int i = 0; i < 100; i++)
                throttle.RecordFailure(Client);
        })));
        Assert.False(throttle.IsLockedOut(Client));
        throttle.RecordFailure(Client, out int failures);
        Assert.Equal(801, failures);
    }
}
