using System.Text;
using Tern.Imap.Protocol;
using Tern.Store;

namespace Tern.Imap.Server;

/// <summary>System flags and keywords on the wire (RFC 9051 2.3.2).</summary>
public static class FlagText
{
    public const string SystemFlags = "\\Answered \\Flagged \\Deleted \\Seen \\Draft";

    public static string Format(MessageInfo info, bool recent)
    {
        var sb = new StringBuilder();
        void Add(string s)
        {
            if (sb.Length > 0) sb.Append(' ');
            sb.Append(s);
        }
        if (info.Flags.HasFlag(MessageFlags.Seen)) Add("\\Seen");
        if (info.Flags.HasFlag(MessageFlags.Answered)) Add("\\Answered");
        if (info.Flags.HasFlag(MessageFlags.Flagged)) Add("\\Flagged");
        if (info.Flags.HasFlag(MessageFlags.Deleted)) Add("\\Deleted");
        if (info.Flags.HasFlag(MessageFlags.Draft)) Add("\\Draft");
        if (recent) Add("\\Recent");
        foreach (var k in info.Keywords)
            Add(k);
        return sb.ToString();
    }

    /// <summary>Splits a flag list into system flags and keywords. \Recent cannot be stored (RFC 9051 2.3.2); other
    /// unknown system flags are grammar errors.</summary>
    public static (MessageFlags Flags, List<string> Keywords) Parse(IEnumerable<string> flags)
    {
        var result = MessageFlags.None;
        var keywords = new List<string>();
        foreach (var f in flags)
        {
            if (f.StartsWith('\\'))
            {
                result |= f.ToUpperInvariant() switch
                {
                    "\\SEEN" => MessageFlags.Seen,
                    "\\ANSWERED" => MessageFlags.Answered,
                    "\\FLAGGED" => MessageFlags.Flagged,
                    "\\DELETED" => MessageFlags.Deleted,
                    "\\DRAFT" => MessageFlags.Draft,
                    "\\RECENT" => MessageFlags.None,
                    _ => throw new ImapParseException($"Unknown system flag {f}"),
                };
            }
            else if (!keywords.Contains(f, StringComparer.OrdinalIgnoreCase))
            {
                keywords.Add(f);
            }
        }
        return (result, keywords);
    }
}
