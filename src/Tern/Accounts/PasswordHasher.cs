using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Tern.Configuration;

namespace Tern.Accounts;

/// <summary>PBKDF2-SHA512 password hashes in the form <c>$pbkdf2-sha512$i=N$&lt;b64 salt&gt;$&lt;b64 hash&gt;</c>.</summary>
/// <remarks>The iteration count travels with each hash, so raising <see cref="AuthOptions.PasswordIterations"/>
/// leaves existing hashes valid; <see cref="NeedsRehash"/> tells when one should be upgraded at the next login.</remarks>
public sealed class PasswordHasher
{
    public const string Scheme = "pbkdf2-sha512";
    public const int SaltBytes = 16;
    public const int HashBytes = 64;

    /// <summary>A stored hash asking for more is refused: a tampered row must not pin a CPU for minutes.</summary>
    public const int MaxIterations = 10_000_000;

    readonly int iterations;
    long computations;

    public PasswordHasher(TernOptions options)
    {
        iterations = Math.Clamp(options.Auth.PasswordIterations, 1, MaxIterations);
        // Random salt and hash, never the hash of any password: verifying against it always fails, but costs
        // exactly what verifying a real hash costs.
        DummyHash = Format(iterations, RandomNumberGenerator.GetBytes(SaltBytes), RandomNumberGenerator.GetBytes(HashBytes));
    }

    public int Iterations => iterations;

    /// <summary>PBKDF2 computations so far: lets a test prove that an unknown user costs one, as a known one does.</summary>
    internal long Computations => Interlocked.Read(ref computations);

    /// <summary>A well-formed hash with the configured cost that no password matches; verified for unknown users
    /// so that they take as long as a wrong password.</summary>
    public string DummyHash { get; }

    public string Hash(string password)
    {
        ArgumentNullException.ThrowIfNull(password);
        var salt = RandomNumberGenerator.GetBytes(SaltBytes);
        var hash = Derive(password, salt, iterations, HashBytes);
        return Format(iterations, salt, hash);
    }

    /// <summary>True when <paramref name="password"/> matches; false for a wrong password or a malformed hash.
    /// The comparison takes the same time wherever the first differing byte is.</summary>
    public bool Verify(string password, string encodedHash)
    {
        ArgumentNullException.ThrowIfNull(password);
        if (!TryParse(encodedHash, out int storedIterations, out var salt, out var expected))
            return false;
        var actual = Derive(password, salt, storedIterations, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    /// <summary>True when a hash was made with fewer iterations than configured now (or is not ours).</summary>
    public bool NeedsRehash(string encodedHash) =>
        !TryParse(encodedHash, out int storedIterations, out _, out _) || storedIterations < iterations;

    public static bool TryParse(string? encodedHash, out int iterations, out byte[] salt, out byte[] hash)
    {
        iterations = 0;
        salt = [];
        hash = [];
        if (encodedHash is null)
            return false;
        // "", "pbkdf2-sha512", "i=N", salt, hash
        var parts = encodedHash.Split('$');
        if (parts.Length != 5 || parts[0].Length != 0 || parts[1] != Scheme || !parts[2].StartsWith("i=", StringComparison.Ordinal))
            return false;
        if (!int.TryParse(parts[2].AsSpan(2), NumberStyles.None, CultureInfo.InvariantCulture, out iterations)
            || iterations < 1 || iterations > MaxIterations)
            return false;
        try
        {
            salt = Convert.FromBase64String(parts[3]);
            hash = Convert.FromBase64String(parts[4]);
        }
        catch (FormatException)
        {
            return false;
        }
        return salt.Length > 0 && hash.Length is >= 32 and <= 128;
    }

    static string Format(int iterations, byte[] salt, byte[] hash) =>
        $"${Scheme}$i={iterations.ToString(CultureInfo.InvariantCulture)}${Convert.ToBase64String(salt)}${Convert.ToBase64String(hash)}";

    byte[] Derive(string password, byte[] salt, int iterations, int length)
    {
        Interlocked.Increment(ref computations);
        return Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(password), salt, iterations, HashAlgorithmName.SHA512, length);
    }
}
