using Tern.Imap.Protocol;

namespace Tern.Imap.Server;

/// <summary>Mailbox names between the wire and the store: modified UTF-7 unless UTF-8 is on (RFC 3501 5.1.3,
/// RFC 6855 3), "INBOX" in any case, "/" as the hierarchy separator (RFC 9051 5.1).</summary>
public static class MailboxNames
{
    public const char Separator = '/';

    public static string Read(ImapArgumentReader args, bool utf8)
    {
        var wire = args.AString();
        return FromWire(wire, utf8);
    }

    public static string FromWire(string wire, bool utf8)
    {
        string name;
        if (utf8)
        {
            // RFC 6855 3: with UTF8=ACCEPT, a name that is valid modified UTF-7 is still taken as such.
            name = wire.All(c => c < 0x80) && ModifiedUtf7.TryDecode(wire, out var decoded) ? decoded : wire;
        }
        else if (!ModifiedUtf7.TryDecode(wire, out name))
        {
            throw new Tern.Store.MailboxNameException("not valid modified UTF-7 (RFC 3501 5.1.3)");
        }
        if (name.Equals("INBOX", StringComparison.OrdinalIgnoreCase))
            return "INBOX";
        if (name.StartsWith("INBOX/", StringComparison.OrdinalIgnoreCase))
            return "INBOX" + name[5..];
        return name;
    }
}
