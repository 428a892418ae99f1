using System.Text;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Imap;

/// <summary>A crafted mailbox for SORT and THREAD: Re:/Fwd:/[fwd: ...]/(fwd) subjects, a missing Date, References to a
/// message that is not there, a duplicate Message-ID and a References loop. The expected answers are worked out by
/// hand from RFC 5256 in the comments.</summary>
static class SortThreadMailbox
{
    /// <summary>(INTERNALDATE, message). Sent dates: 6 (Jan 1), 7 (Jan 2 10:00), 8 (Jan 2 11:00), 5 (Jan 3), 3 (Jan 4),
    /// 1 (Jan 5), 2 (Jan 6), 4 (no Date: its INTERNALDATE, Jan 7).</summary>
    public static readonly (string InternalDate, string Message)[] Messages =
    [
        ("10-Jan-2026 01:00:00 +0000", "From: Aaron <zed@example.org>\nTo: amy@example.org\nSubject: Hello world\nDate: Mon, 05 Jan 2026 10:00:00 +0000\nMessage-ID: <a1@x>\n\nfirst\n"),
        ("10-Jan-2026 02:00:00 +0000", "From: amy@example.org\nTo: \"Zed\" <zed@example.org>\nSubject: Re: Hello world\nDate: Tue, 06 Jan 2026 10:00:00 +0000\nMessage-ID: <a2@x>\nIn-Reply-To: <a1@x>\nReferences: <a1@x>\n\nsecond\n"),
        ("10-Jan-2026 03:00:00 +0000", "From: Bob <bob@example.org>\nCc: carl@example.org\nSubject: [list] Fwd: Hello world (fwd)\nDate: Sun, 04 Jan 2026 10:00:00 +0000\nMessage-ID: <a3@x>\n\nthird\n"),
        ("07-Jan-2026 10:00:00 +0000", "From: Carl <carl@example.org>\nSubject: [fwd: Re: Something else]\nMessage-ID: <b1@x>\nReferences: <missing@x>\n\nfourth\n"),
        ("10-Jan-2026 05:00:00 +0000", "From: dora@example.org\nSubject: Re: Something else\nDate: Sat, 03 Jan 2026 10:00:00 +0000\nMessage-ID: <b2@x>\nReferences: <missing@x>\n\nfifth\n"),
        ("10-Jan-2026 06:00:00 +0000", "From: Eve <eve@example.org>\nSubject: Duplicate\nDate: Thu, 01 Jan 2026 10:00:00 +0000\nMessage-ID: <a1@x>\n\nsixth\n"),
        ("10-Jan-2026 07:00:00 +0000", "From: fred@example.org\nSubject: Loop one\nDate: Fri, 02 Jan 2026 10:00:00 +0000\nMessage-ID: <c1@x>\nReferences: <c2@x>\n\nseventh\n"),
        ("10-Jan-2026 08:00:00 +0000", "From: gina@example.org\nSubject: Loop two\nDate: Fri, 02 Jan 2026 11:00:00 +0000\nMessage-ID: <c2@x>\nReferences: <c1@x>\n\neighth\n"),
    ];

    // Base subjects: 1, 2 (reply), 3 (forward: blob, Fwd:, "(fwd)") HELLO WORLD; 4 ([fwd: ...] around Re:) and 5 (reply)
    // SOMETHING ELSE; 6 DUPLICATE; 7 LOOP ONE; 8 LOOP TWO.
    public const string ByDate = "6 7 8 5 3 1 2 4";
    public const string ByReverseDate = "4 2 1 3 5 8 7 6";
    public const string ByArrival = "4 1 2 3 5 6 7 8";
    public const string BySubject = "6 1 2 3 7 8 4 5";          // equal base subjects keep sequence order
    public const string BySubjectThenDate = "6 3 1 2 7 8 5 4";
    public const string ByFrom = "2 3 4 5 6 7 8 1";            // addr-mailbox: amy bob carl dora eve fred gina zed
    public const string ByDisplayFrom = "1 2 3 4 5 6 7 8";     // Aaron, amy@..., Bob, Carl, dora@..., Eve, fred@..., gina@...
    public const string ByTo = "3 4 5 6 7 8 1 2";              // no To sorts as the empty string
    public const string ByCc = "1 2 4 5 6 7 8 3";

    // REFERENCES: 2 under 1 (In-Reply-To/References); 4 and 5 under the dummy <missing@x>, which stays at the top with two
    // children; 6 duplicates <a1@x> and becomes a thread of its own; 8 refers to 7 and 7 to 8, the loop is refused so 7 is
    // under 8; 3 has HELLO WORLD as base subject and is a forward, 1 is not, so 3 joins 1's thread (step 5); threads and
    // siblings by sent date.
    public const string References = "(6)(8 7)((5)(4))(1 (3)(2))";
    // ORDEREDSUBJECT: by base subject then date, the first of each subject the parent of the rest; threads by first date.
    public const string OrderedSubject = "(6)(7)(8)(5 4)(3 (1)(2))";

    public static async Task FillAsync(ImapDialog c)
    {
        foreach (var (date, message) in Messages)
        {
            var bytes = Encoding.UTF8.GetByteCount(message.ReplaceLineEndings("\r\n"));
            var r = await c.CommandAsync($"APPEND INBOX \"{date}\" {{{bytes}+}}\r\n{message.ReplaceLineEndings("\r\n")}");
            Assert.True(r.Ok, r.Tagged);
        }
    }

    public static async Task<(TernTestServer Server, string User)> StartFilledAsync()
    {
        var (server, user) = await ImapTestMail.StartWithUserAsync();
        await using var c = await ImapDialog.ConnectAsync(server.ImapPort);
        await c.LoginAsync(user);
        await FillAsync(c);
        return (server, user);
    }
}
