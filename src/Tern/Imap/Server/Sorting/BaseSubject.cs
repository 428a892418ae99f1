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
    /// <remarks>Works on a window [start, end) of the subject and allocates at most the result: SORT and THREAD run it
    /// on every message of a mailbox.</remarks>
    public static string Extract(string? subject, out bool isReplyOrForward)
    {
        isReplyOrForward = false;
        if (string.IsNullOrEmpty(subject))
            return "";
        // (1) Tabs and continuations to a space, runs of spaces to one.
        string s = subject.AsSpan().IndexOfAny('\t', '\r', '\n') >= 0 || subject.Contains("  ", StringComparison.Ordinal)
            ? Collapse(subject) : subject;
        int start = 0, end = s.Length;
        while (true)
        {
            // (2) Trailers: "(fwd)" or white space, repeatedly.
            while (true)
            {
                if (end > start && s[end - 1] == ' ')
                    end--;
                else if (end - start >= 5 && s.AsSpan(end - 5, 5).Equals("(fwd)", StringComparison.OrdinalIgnoreCase))
                {
                    end -= 5;
                    isReplyOrForward = true;
                }
                else
                    break;
            }
            // (3)-(5) Leaders, and a lone blob when something remains after it.
            while (true)
            {
                int at = Leader(s, start, end, out bool refwd);
                if (at > start)
                {
                    start = at;
                    isReplyOrForward |= refwd;
                    continue;
                }
                int blob = Blob(s, start, end);
                if (blob > start && blob < end)
                {
                    start = blob;
                    continue;
                }
                break;
            }
            // (6) "[fwd: ... ]" around the rest: unwrap and start again at (2).
            if (end - start >= 6 && s.AsSpan(start, 5).Equals("[fwd:", StringComparison.OrdinalIgnoreCase) && s[end - 1] == ']')
            {
                start += 5;
                end--;
                isReplyOrForward = true;
                continue;
            }
            return start == 0 && end == s.Length ? s : s[start..end];
        }
    }

    static string Collapse(string subject)
    {
        var sb = new StringBuilder(subject.Length);
        foreach (char c in subject)
        {
            char ch = c is '\t' or '\r' or '\n' ? ' ' : c;
            if (ch == ' ' && sb.Length > 0 && sb[^1] == ' ')
                continue;
            sb.Append(ch);
        }
        return sb.ToString();
    }

    /// <summary>End of a subj-leader at <paramref name="i"/> (within <paramref name="end"/>), or 0.</summary>
    static int Leader(string s, int i, int end, out bool refwd)
    {
        refwd = false;
        if (i >= end)
            return 0;
        if (s[i] == ' ')
            return i + 1;
        while (true)
        {
            int after = Refwd(s, i, end);
            if (after > 0)
            {
                refwd = true;
                return after;
            }
            int blob = Blob(s, i, end);
            if (blob == 0)
                return 0;
            i = blob;
        }
    }

    /// <summary>End of a subj-refwd starting at <paramref name="i"/>, or 0.</summary>
    static int Refwd(string s, int i, int end)
    {
        foreach (var word in (ReadOnlySpan<string>)["re", "fwd", "fw"])
        {
            if (i + word.Length > end || !s.AsSpan(i, word.Length).Equals(word, StringComparison.OrdinalIgnoreCase))
                continue;
            int j = i + word.Length;
            while (j < end && s[j] == ' ') j++;
            int blob = Blob(s, j, end);
            if (blob > 0) j = blob;
            if (j < end && s[j] == ':')
                return j + 1;
        }
        return 0;
    }

    /// <summary>End of a subj-blob ("[" *BLOBCHAR "]" *WSP) starting at <paramref name="i"/>, or 0.</summary>
    static int Blob(string s, int i, int end)
    {
        if (i >= end || s[i] != '[')
            return 0;
        int j = i + 1;
        while (j < end && s[j] != ']' && s[j] != '[') j++;
        if (j >= end || s[j] != ']')
            return 0;
        j++;
        while (j < end && s[j] == ' ') j++;
        return j;
    }
}
