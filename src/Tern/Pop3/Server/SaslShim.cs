// TEMPORARY: the accounts helper's Sasl.cs (same API, from docs/COMMON) is not in main yet. Deleted at the merge.
namespace Tern.Accounts;

public static class SaslPlain
{
    public static bool TryParse(ReadOnlySpan<byte> decoded, out string authorizationId, out string authenticationId, out string password)
    {
        authorizationId = authenticationId = password = "";
        int first = decoded.IndexOf((byte)0);
        if (first < 0)
            return false;
        var rest = decoded[(first + 1)..];
        int second = rest.IndexOf((byte)0);
        if (second < 0 || second == 0 || rest.Length == second + 1 || rest[(second + 1)..].Contains((byte)0))
            return false;
        authorizationId = System.Text.Encoding.UTF8.GetString(decoded[..first]);
        authenticationId = System.Text.Encoding.UTF8.GetString(rest[..second]);
        password = System.Text.Encoding.UTF8.GetString(rest[(second + 1)..]);
        return true;
    }
}

public static class SaslLogin
{
    public const string UsernameChallenge = "VXNlcm5hbWU6";
    public const string PasswordChallenge = "UGFzc3dvcmQ6";
}
