using System.Text;
using Tern.Configuration;

namespace Tern.Store;

/// <summary>Validation and canonical form of mailbox names. Names are untrusted input from clients; they are never
/// used as file paths (message files are named by number), so this is about a clean namespace, not traversal alone.</summary>
public static class MailboxNames
{
    public const char Separator = '/';
    public const string Inbox = "INBOX";

    /// <summary>The canonical form of <paramref name="name"/>: "INBOX" (any case) as the first component becomes "INBOX".
    /// Throws <see cref="MailboxNameException"/> for names that are empty, too long, too deep, contain control
    /// characters or IMAP wildcards, or have empty, "." or ".." components.</summary>
    public static string Normalize(string? name, StoreOptions options)
    {
        if (string.IsNullOrEmpty(name))
            throw new MailboxNameException("empty mailbox name");
        if (Encoding.UTF8.GetByteCount(name) > options.MaxMailboxNameLength)
            throw new MailboxNameException($"mailbox name longer than {options.MaxMailboxNameLength} octets");
        foreach (var c in name)
        {
            if (char.IsControl(c))
                throw new MailboxNameException("control character in mailbox name");
            // RFC 3501 6.3.8: '%' and '*' are LIST wildcards; a mailbox named with them could not be listed exactly.
            if (c is '*' or '%')
                throw new MailboxNameException("wildcard character in mailbox name");
        }
        if (!IsWellFormedUtf16(name))
            throw new MailboxNameException("invalid character in mailbox name");
        var parts = name.Split(Separator);
        if (parts.Length > options.MaxMailboxDepth)
            throw new MailboxNameException($"mailbox hierarchy deeper than {options.MaxMailboxDepth}");
        foreach (var part in parts)
        {
            if (part.Length == 0)
                throw new MailboxNameException("empty component in mailbox name");
            if (part is "." or "..")
                throw new MailboxNameException("'.' and '..' are not mailbox names");
            if (part.Trim().Length == 0)
                throw new MailboxNameException("blank component in mailbox name");
        }
        // RFC 3501 5.1: INBOX is case-insensitive, also as the parent of other mailboxes ("inbox/x" is "INBOX/x").
        if (parts[0].Equals(Inbox, StringComparison.OrdinalIgnoreCase))
            parts[0] = Inbox;
        return string.Join(Separator, parts);
    }

    public static bool IsInbox(string normalizedName) => normalizedName == Inbox;

    /// <summary>The parent of a normalized name, or null at the top level.</summary>
    public static string? Parent(string normalizedName)
    {
        int i = normalizedName.LastIndexOf(Separator);
        return i < 0 ? null : normalizedName[..i];
    }

    /// <summary>Every ancestor of a normalized name, outermost first ("a/b/c": "a", "a/b").</summary>
    public static IEnumerable<string> Ancestors(string normalizedName)
    {
        for (int i = normalizedName.IndexOf(Separator); i >= 0; i = normalizedName.IndexOf(Separator, i + 1))
            yield return normalizedName[..i];
    }

    /// <summary>True when <paramref name="name"/> is <paramref name="ancestor"/> itself or below it.</summary>
    public static bool IsSameOrBelow(string name, string ancestor) =>
        name == ancestor || (name.Length > ancestor.Length && name.StartsWith(ancestor, StringComparison.Ordinal) && name[ancestor.Length] == Separator);

    static bool IsWellFormedUtf16(string s)
    {
        for (int i = 0; i < s.Length; i++)
        {
            if (char.IsHighSurrogate(s[i]))
            {
                if (i + 1 >= s.Length || !char.IsLowSurrogate(s[i + 1])) return false;
                i++;
            }
            else if (char.IsLowSurrogate(s[i]))
            {
                return false;
            }
        }
        return true;
    }
}
