using System.Globalization;
using Tern.Accounts;
using Tern.Configuration;

namespace Tern.Tests.Accounts;

public sealed class PasswordHasherTests
{
    static PasswordHasher Hasher(int iterations = 1000)
    {
        var options = new TernOptions();
        options.Auth.PasswordIterations = iterations;
        return new PasswordHasher(options);
    }

    [Fact]
    public void Hash_has_the_documented_format_and_no_clear_password()
    {
        var hash = Hasher(1234).Hash("correct horse");
        var parts = hash.Split('$');
        Assert.Equal(5, parts.Length);
        Assert.Equal("pbkdf2-sha512", parts[1]);
        Assert.Equal("i=1234", parts[2]);
        Assert.Equal(16, Convert.FromBase64String(parts[3]).Length);
        Assert.Equal(64, Convert.FromBase64String(parts[4]).Length);
        Assert.DoesNotContain("correct horse", hash, StringComparison.Ordinal);
    }

    [Fact]
    public void Same_password_hashes_differently_each_time()
    {
        var hasher = Hasher();
        Assert.NotEqual(hasher.Hash("pw"), hasher.Hash("pw"));
    }

    [Fact]
    public void Right_password_verifies_and_wrong_one_does_not()
    {
        var hasher = Hasher();
        var hash = hasher.Hash("s3cret-Pässword");
        Assert.True(hasher.Verify("s3cret-Pässword", hash));
        Assert.False(hasher.Verify("s3cret-Password", hash));
        Assert.False(hasher.Verify("", hash));
        Assert.False(hasher.Verify("s3cret-Pässword ", hash));
    }

    [Fact]
    public void Tampered_or_malformed_hash_never_verifies()
    {
        var hasher = Hasher();
        var hash = hasher.Hash("pw");
        var parts = hash.Split('$');
        var hashBytes = Convert.FromBase64String(parts[4]);
        hashBytes[^1] ^= 1;
        var flippedHash = string.Join('$', parts[0], parts[1], parts[2], parts[3], Convert.ToBase64String(hashBytes));
        var saltBytes = Convert.FromBase64String(parts[3]);
        saltBytes[0] ^= 1;
        var flippedSalt = string.Join('$', parts[0], parts[1], parts[2], Convert.ToBase64String(saltBytes), parts[4]);
        var otherCount = string.Join('$', parts[0], parts[1], "i=1001", parts[3], parts[4]);

        Assert.False(hasher.Verify("pw", flippedHash));
        Assert.False(hasher.Verify("pw", flippedSalt));
        Assert.False(hasher.Verify("pw", otherCount));
        Assert.False(hasher.Verify("pw", hash.Replace("pbkdf2-sha512", "pbkdf2-sha256", StringComparison.Ordinal)));
        Assert.False(hasher.Verify("pw", "$pbkdf2-sha512$i=1000$not-base64$AAAA"));
        Assert.False(hasher.Verify("pw", "$pbkdf2-sha512$i=0$" + parts[3] + "$" + parts[4]));
        Assert.False(hasher.Verify("pw", "$pbkdf2-sha512$i=99999999999$" + parts[3] + "$" + parts[4]));
        Assert.False(hasher.Verify("pw", "pw"));
        Assert.False(hasher.Verify("pw", ""));
    }

    [Fact]
    public void Verification_uses_the_iteration_count_stored_in_the_hash()
    {
        var oldHash = Hasher(1000).Hash("pw");
        var newHasher = Hasher(3000);
        Assert.True(newHasher.Verify("pw", oldHash));
        Assert.True(newHasher.NeedsRehash(oldHash));
        var newHash = newHasher.Hash("pw");
        Assert.Contains("$i=3000$", newHash, StringComparison.Ordinal);
        Assert.False(newHasher.NeedsRehash(newHash));
        // And a cheaper configuration still checks the stronger hash with its own count.
        Assert.True(Hasher(500).Verify("pw", newHash));
    }

    [Fact]
    public void Dummy_hash_matches_no_password_and_costs_the_configured_iterations()
    {
        var hasher = Hasher(2000);
        Assert.True(PasswordHasher.TryParse(hasher.DummyHash, out int iterations, out var salt, out var hash));
        Assert.Equal(2000, iterations);
        Assert.Equal(16, salt.Length);
        Assert.Equal(64, hash.Length);
        Assert.False(hasher.Verify("", hasher.DummyHash));
        Assert.False(hasher.Verify("password", hasher.DummyHash));
    }

    [Fact]
    public void Known_vector_matches_pbkdf2_sha512()
    {
        // RFC 6070-style vector for PBKDF2-HMAC-SHA512 ("password", "salt", 1 iteration), first 64 bytes.
        const string expectedHex = "867f70cf1ade02cff3752599a3a53dc4af34c7a669815ae5d513554e1c8cf252" +
                                   "c02d470a285a0501bad999bfe943c08f050235d7d68b1da55e63f73b60a57fce";
        var encoded = string.Create(CultureInfo.InvariantCulture,
            $"$pbkdf2-sha512$i=1${Convert.ToBase64String("salt"u8)}${Convert.ToBase64String(Convert.FromHexString(expectedHex))}");
        Assert.True(Hasher().Verify("password", encoded));
    }
}
