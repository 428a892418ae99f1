namespace Tern.Imap.Server;

/// <summary>LIST patterns (RFC 9051 6.3.9): "*" matches anything, "%" anything but the hierarchy separator. Matched
/// with a table rather than backtracking, so a pattern of many wildcards costs O(pattern × name).</summary>
public sealed class ListPattern
{
    readonly string pattern;

    public ListPattern(string reference, string pattern)
    {
        var full = reference.Length > 0 && pattern.Length > 0 && pattern[0] != MailboxNames.Separator
            && reference[^1] != MailboxNames.Separator
            ? reference + MailboxNames.Separator + pattern
            : reference + pattern;
        // INBOX is case-insensitive (RFC 9051 5.1).
        if (full.Length >= 5 && full[..5].Equals("INBOX", StringComparison.OrdinalIgnoreCase)
            && (full.Length == 5 || full[5] == MailboxNames.Separator))
            full = "INBOX" + full[5..];
        this.pattern = full;
    }

    public bool Matches(string name)
    {
        int p = pattern.Length, n = name.Length;
        var prev = new bool[n + 1];
        var cur = new bool[n + 1];
        prev[0] = true;
        for (int i = 1; i <= p; i++)
        {
            char pc = pattern[i - 1];
            cur[0] = prev[0] && pc is '*' or '%';
            for (int j = 1; j <= n; j++)
            {
                cur[j] = pc switch
                {
                    '*' => prev[j] || cur[j - 1],
                    '%' => prev[j] || (cur[j - 1] && name[j - 1] != MailboxNames.Separator),
                    _ => prev[j - 1] && pc == name[j - 1],
                };
            }
            (prev, cur) = (cur, prev);
        }
        return prev[n];
    }

    /// <summary>True when some child of <paramref name="name"/> could match (for RECURSIVEMATCH and parents).</summary>
    public override string ToString() => pattern;
}
