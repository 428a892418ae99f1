using System.Text;

namespace Tern.Imap.Server.Sorting;

/// <summary>RFC 5256 2.1: the base subject that SORT SUBJECT and THREAD compare, and whether the subject marked the
/// message as a reply or forward (which THREAD=REFERENCES step 5 needs).</summary>
/// <remarks><code>
/// subj-refwd   = ("re" / ("fw" ["d"])) *WSP [subj-blob] ":"
/// subj-blob    = "[" *BLOBCHAR "]" *WSP
/// subj-fwd-hdr = "[fwd:"
/// subj-fwd-trl = "]"
/// subj-leader  = (*subj-blob subj-refwd) / WSP
/// subj-trailer = "(fwd)" / WSP
/// BLOBCHAR     = %x01-5a / %x5c / %x5e-ff
/// </code></remarks>
public static class BaseSubject
{
    /// <param name="subject">The Subject with its encoded-words already decoded (step 1's first part).</param>
    public static string Extract(string? subject, out bool isReplyOrForward)
    {
        isReplyOrForward = false;
        if (string.IsNullOrEmpty(subject))
            return "";
        // (1) Tabs and continuations to a space, runs of spaces to one.
        var sb = new StringBuilder(subject.Length);
        foreach (char c in subject)
        {
            char ch = c is '\t' or '\r' or '\n' ? ' ' : c;
            if (ch == ' ' && sb.Length > 0 && sb[^1] == ' ')
                continue;
            sb.Append(ch);
        }
        string s = sb.ToString();
        while (true)
        {
            // (2) Trailers: "(fwd)" or white space, repeatedly.
            while (true)
            {
                if (s.EndsWith(' '))
                    s = s[..^1];
                else if (s.EndsWith("(fwd)", StringComparison.OrdinalIgnoreCase))
                {
                    s = s[..^5];
                    isReplyOrForward = true;
                }
                else
                    break;
            }
            // (3)-(5) Leaders, and a lone blob when something remains after it.
            while (true)
            {
                int at = Leader(s, out bool refwd);
                if (at > 0)
                {
                    s = s[at..];
                    isReplyOrForward |= refwd;
                    continue;
                }
                int blob = Blob(s, 0);
                if (blob > 0 && blob < s.Length)
                {
                    s = s[blob..];
                    continue;
                }
                break;
            }
            // (6) "[fwd: ... ]" around the rest: unwrap and start again at (2).
            if (s.Length >= 6 && s.StartsWith("[fwd:", StringComparison.OrdinalIgnoreCase) && s.EndsWith(']'))
            {
                s = s[5..^1];
                isReplyOrForward = true;
                continue;
            }
            return s;
        }
    }

    /// <summary>Length of a subj-leader at the start of <paramref name="s"/>, or 0.</summary>
    static int Leader(string s, out bool refwd)
    {
        refwd = false;
        if (s.Length == 0)
            return 0;
        if (s[0] == ' ')
            return 1;
        int i = 0;
        while (true)
        {
            int after = Refwd(s, i);
            if (after > 0)
            {
                refwd = true;
                return after;
            }
            int blob = Blob(s, i);
            if (blob == 0)
                return 0;
            i = blob;
        }
    }

    /// <summary>End of a subj-refwd starting at <paramref name="i"/>, or 0.</summary>
    static int Refwd(string s, int i)
    {
        foreach (var word in (ReadOnlySpan<string>)["re", "fwd", "fw"])
        {
            if (string.Compare(s, i, word, 0, word.Length, StringComparison.OrdinalIgnoreCase) != 0 || i + word.Length > s.Length)
                continue;
            int j = i + word.Length;
            while (j < s.Length && s[j] == ' ') j++;
            int blob = Blob(s, j);
            if (blob > 0) j = blob;
            if (j < s.Length && s[j] == ':')
                return j + 1;
        }
        return 0;
    }

    /// <summary>End of a subj-blob ("[" *BLOBCHAR "]" *WSP) starting at <paramref name="i"/>, or 0.</summary>
    static int Blob(string s, int i)
    {
        if (i >= s.Length || s[i] != '[')
            return 0;
        int j = i + 1;
        while (j < s.Length && s[j] != ']' && s[j] != '[') j++;
        if (j >= s.Length || s[j] != ']')
            return 0;
        j++;
        while (j < s.Length && s[j] == ' ') j++;
        return j;
    }
}
