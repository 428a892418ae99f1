using System.Text;

namespace Tern.Accounts;

/// <summary>The PLAIN mechanism (RFC 4616), for SMTP AUTH, POP3 AUTH and IMAP AUTHENTICATE alike.</summary>
/// <remarks>
/// <code>
/// message  = [authzid] UTF8NUL authcid UTF8NUL passwd
/// authcid  = 1*SAFE ; MUST accept up to 255 octets
/// authzid  = 1*SAFE ; MUST accept up to 255 octets
/// passwd   = 1*SAFE ; MUST accept up to 255 octets
/// SAFE     = UTF1 / UTF2 / UTF3 / UTF4 ; any UTF-8 encoded Unicode character except NUL
/// </code>
/// </remarks>
public static class SaslPlain
{
    static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Splits a decoded PLAIN message. False when it is malformed: not exactly two NULs, an empty
    /// authentication identity or password, or invalid UTF-8.</summary>
    public static bool TryParse(ReadOnlySpan<byte> decoded, out string authorizationId, out string authenticationId, out string password)
    {
        authorizationId = authenticationId = password = "";
        int first = decoded.IndexOf((byte)0);
        if (first < 0)
            return false;
        var rest = decoded[(first + 1)..];
        int second = rest.IndexOf((byte)0);
        if (second < 0)
            return false;
        var authzid = decoded[..first];
        var authcid = rest[..second];
        var passwd = rest[(second + 1)..];
        // A third NUL would be inside the password, which SAFE excludes.
        if (authcid.IsEmpty || passwd.IsEmpty || passwd.Contains((byte)0))
            return false;
        try
        {
            authorizationId = StrictUtf8.GetString(authzid);
            authenticationId = StrictUtf8.GetString(authcid);
            password = StrictUtf8.GetString(passwd);
        }
        catch (DecoderFallbackException)
        {
            authorizationId = authenticationId = password = "";
            return false;
        }
        return true;
    }

    /// <summary>RFC 4616 2: the server must check that the authenticated identity may act as the authorisation
    /// identity. Tern allows only acting as oneself: an empty authzid or the same address, ignoring case.</summary>
    public static bool IsAuthorizationAllowed(string authorizationId, string authenticatedAddress) =>
        string.IsNullOrEmpty(authorizationId)
        || string.Equals(authorizationId.Trim(), authenticatedAddress.Trim(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>The LOGIN mechanism (draft-murchison-sasl-login): the server asks for the user name, then the
/// password, each prompt and answer in base64.</summary>
public static class SaslLogin
{
    /// <summary>base64("Username:").</summary>
    public const string UsernameChallenge = "VXNlcm5hbWU6";

    /// <summary>base64("Password:").</summary>
    public const string PasswordChallenge = "UGFzc3dvcmQ6";

    /// <summary>Decodes one base64 client answer as UTF-8; false for bad base64, invalid UTF-8 or a NUL.</summary>
    public static bool TryDecodeResponse(ReadOnlySpan<char> line, out string value)
    {
        value = "";
        var buffer = new byte[(line.Length * 3 / 4) + 3];
        if (!Convert.TryFromBase64Chars(line.Trim(), buffer, out int written))
            return false;
        var bytes = buffer.AsSpan(0, written);
        if (bytes.Contains((byte)0))
            return false;
        try
        {
            value = new UTF8Encoding(false, true).GetString(bytes);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
