using Tern.MailAuth;

namespace Tern.Tests.MailAuth;

public sealed class DkimKeyStoreTests : IDisposable
{
    readonly string data = Path.Combine(Path.GetTempPath(), "tern-dkim-" + Guid.NewGuid().ToString("N")[..8]);

    public void Dispose()
    {
        if (Directory.Exists(data))
            Directory.Delete(data, recursive: true);
    }

    [Fact]
    public void Generate_writes_the_private_key_0600_and_the_one_line_dns_record_by_the_shared_convention()
    {
        var store = new DkimKeyStore(data);
        var rsa = store.Generate("Example.COM", null, "rsa", new DateTime(2026, 11, 27));
        var ed = store.Generate("example.com", null, "ed25519", new DateTime(2026, 11, 27));

        Assert.Equal("rsa2026a", rsa.Selector);
        Assert.Equal("ed2026a", ed.Selector);
        Assert.Equal(Path.Combine(data, "dkim", "example.com", "rsa2026a.private.pem"), rsa.KeyPath);
        Assert.Equal(Path.Combine(data, "dkim", "example.com", "rsa2026a.dns.txt"), rsa.DnsPath);
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(rsa.KeyPath));
        var record = File.ReadAllText(rsa.DnsPath);
        Assert.StartsWith("v=DKIM1; k=rsa; p=MII", record, StringComparison.Ordinal);
        Assert.Single(record.TrimEnd('\n').Split('\n'));
        Assert.Matches("^v=DKIM1; k=ed25519; p=[A-Za-z0-9+/]{43}=$", File.ReadAllText(ed.DnsPath).Trim());
        Assert.Equal("rsa2026b", store.Generate("example.com", null, "rsa", new DateTime(2026, 11, 27)).Selector);
    }

    [Fact]
    public void Retire_stops_signing_but_keeps_the_dns_record()
    {
        var store = new DkimKeyStore(data);
        var key = store.Generate("example.com", "s1", "rsa", DateTime.UtcNow);
        store.Retire("example.com", "s1");

        Assert.Empty(store.ActiveKeys("example.com"));
        Assert.True(File.Exists(key.DnsPath));
        Assert.False(Assert.Single(store.List("example.com")).Active);
        Assert.IsType<Org.BouncyCastle.Crypto.Parameters.RsaPrivateCrtKeyParameters>(
            DkimKeyStore.LoadPrivateKey(Path.Combine(data, "dkim", "example.com", "s1.retired.pem")));
    }

    [Fact]
    public void Bad_domain_selector_or_duplicate_is_refused()
    {
        var store = new DkimKeyStore(data);
        Assert.Throws<ArgumentException>(() => store.Generate("../etc", null, "rsa", DateTime.UtcNow));
        Assert.Throws<ArgumentException>(() => store.Generate("example.com", "a/b", "rsa", DateTime.UtcNow));
        Assert.Throws<ArgumentException>(() => store.Generate("example.com", null, "dsa", DateTime.UtcNow));
        store.Generate("example.com", "s1", "ed25519", DateTime.UtcNow);
        Assert.Throws<ArgumentException>(() => store.Generate("example.com", "s1", "rsa", DateTime.UtcNow));
    }
}
