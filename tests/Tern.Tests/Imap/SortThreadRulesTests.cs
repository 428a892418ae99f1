using Tern.Imap.Protocol;
using Tern.Imap.Server.Sorting;
using Tern.Store;

namespace Tern.Tests.Imap;

/// <summary>RFC 5256 rules in isolation: base subject extraction (2.1), the REFERENCES steps (3) and SORT's order.</summary>
public sealed class SortThreadRulesTests
{
    [Theory]
    [InlineData("Hello", "Hello", false)]
    [InlineData("Re: Hello", "Hello", true)]
    [InlineData("RE:Hello", "Hello", true)]
    [InlineData("re: re: Hello", "Hello", true)]
    [InlineData("Fwd: Hello", "Hello", true)]
    [InlineData("Fw: Hello", "Hello", true)]
    [InlineData("Re [2]: Hello", "Hello", true)]
    [InlineData("[list] Re: Hello", "Hello", true)]
    [InlineData("[list] [other] Re: [x] Fwd: Hello", "Hello", true)]
    [InlineData("[list] Hello", "Hello", false)]
    [InlineData("[list]", "[list]", false)]                    // removing the blob would leave nothing (step 4)
    [InlineData("Hello (fwd)", "Hello", true)]
    [InlineData("Hello (fwd) (FWD)  ", "Hello", true)]
    [InlineData("[fwd: Hello]", "Hello", true)]
    [InlineData("[Fwd: Re: [fwd: Hello (fwd)]]", "Hello", true)]
    [InlineData("Re: [fwd: Hello] (fwd)", "Hello", true)]
    [InlineData("Hello\tworld  again", "Hello world again", false)]
    [InlineData("Reply to this", "Reply to this", false)]      // "Re" without ":" is not a leader
    [InlineData("Fwdx: Hello", "Fwdx: Hello", false)]
    [InlineData("", "", false)]
    [InlineData("   ", "", false)]
    [InlineData("Re:", "", true)]
    [InlineData("Re: Re:  ", "", true)]
    [InlineData("[a][b]", "[b]", false)]                        // a lone blob goes only while something follows it
    [InlineData("[list]  Re:\tHello (fwd)\r\n", "Hello", true)]
    [InlineData("Re: Hello [fwd: x]", "Hello [fwd: x]", true)]
    public void Base_subject_follows_RFC_5256_section_2_1(string subject, string expected, bool replyOrForward)
    {
        Assert.Equal(expected, BaseSubject.Extract(subject, out bool isReply));
        Assert.Equal(replyOrForward, isReply);
    }

    [Theory]
    [InlineData("")]
    [InlineData("HELLO WORLD 42")]
    [InlineData("hello [list] world~\u007f")]
    [InlineData("Caf\u00e9 cr\u00e8me")]
    [InlineData("\u01c6 \u00df \ufb01 \uac00")]
    public void Fold_of_sort_keys_is_i_unicode_casemap(string value) =>
        Assert.Equal(Tern.Store.Search.UnicodeCasemap.Fold(value), SortEngine.Fold(value));

    static SortItem Item(int seq, string? id, string subject, int day, string? refs = null, string? inReplyTo = null,
        string? from = null, long size = 100) =>
        new(seq, seq, new MessageSortData(seq, size, new DateTimeOffset(2026, 2, 1, 0, 0, 0, TimeSpan.Zero).AddMinutes(seq),
            new DateTimeOffset(2026, 1, day, 0, 0, 0, TimeSpan.Zero), subject,
            from is null ? null : new EnvelopeAddress(null, null, from, "example.org"), null, null,
            id, inReplyTo, refs is null ? [] : refs.Split(' ')));

    static string Thread(params SortItem[] items) => ThreadBuilder.Format(ThreadBuilder.References(items), byUid: false)["* THREAD ".Length..];

    [Fact]
    public void A_missing_parent_inside_a_thread_is_pruned_and_its_children_promoted()
    {
        // 3 refers to 1 through an absent message: the dummy goes, 3 becomes a sibling of 2.
        Assert.Equal("(1 (2)(3))", Thread(Item(1, "1", "a", 1), Item(2, "2", "a", 2, "1"), Item(3, "3", "a", 3, "1 gone")));
    }

    [Fact]
    public void A_missing_root_with_several_children_stays_and_with_one_child_is_dropped()
    {
        Assert.Equal("((1)(2))", Thread(Item(1, "x1", "a", 1, "gone"), Item(2, "x2", "b", 2, "gone")));
        Assert.Equal("(1)", Thread(Item(1, "x1", "a", 1, "gone")));
    }

    [Fact]
    public void Only_the_first_message_keeps_a_duplicate_Message_ID()
    {
        Assert.Equal("(1 3)(2)", Thread(Item(1, "d", "one", 1), Item(2, "d", "two", 2), Item(3, "r", "three", 3, "d")));
    }

    [Fact]
    public void A_reference_loop_is_refused()
    {
        Assert.Equal("(2 1)", Thread(Item(1, "l1", "one", 1, "l2"), Item(2, "l2", "two", 2, "l1")));
        Assert.Equal("(1)", Thread(Item(1, "self", "one", 1, "self")));
    }

    [Fact]
    public void In_Reply_To_is_used_without_References_and_a_later_parent_wins_over_a_truncated_one()
    {
        Assert.Equal("(1 2)", Thread(Item(1, "p", "a", 1), Item(2, "c", "b", 2, null, "p")));
        // 1's References (a, c) hang the dummy c under the dummy a; when c arrives, its own References (b) move it under b.
        Assert.Equal("(3 2 1)", Thread(Item(1, "x", "x", 1, "a c"), Item(2, "c", "y", 2, "b"), Item(3, "b", "z", 3)));
    }

    [Fact]
    public void Top_level_threads_with_one_base_subject_merge()
    {
        // A reply goes under the original; two originals go under a new dummy; dummies merge their children.
        Assert.Equal("(1 2)", Thread(Item(1, "1", "Meeting", 1), Item(2, "2", "Re: Meeting", 2)));
        Assert.Equal("((1 2)(3))", Thread(Item(1, "1", "Meeting", 1), Item(2, "2", "Re: Meeting", 2), Item(3, "3", "Meeting", 3)));
        Assert.Equal("((1)(2)(3)(4))", Thread(Item(1, "1", "Topic", 1, "g1"), Item(2, "2", "Topic", 2, "g1"),
            Item(3, "3", "Re: Topic", 3, "g2"), Item(4, "4", "Topic", 4, "g2")));
        // An empty base subject never merges.
        Assert.Equal("(1)(2)", Thread(Item(1, "1", "", 1), Item(2, "2", "Re:", 2)));
    }

    [Fact]
    public void Siblings_and_threads_are_ordered_by_sent_date_then_sequence()
    {
        Assert.Equal("(3)(1 (4)(2))", Thread(Item(1, "1", "a", 2), Item(2, "2", "b", 9, "1"), Item(3, "3", "c", 1), Item(4, "4", "d", 5, "1")));
    }

    [Fact]
    public void A_very_deep_thread_is_formatted_without_recursion()
    {
        var items = Enumerable.Range(1, 20_000).Select(i => Item(i, "m" + i, "deep", 1, i == 1 ? null : "m" + (i - 1))).ToArray();
        var text = Thread(items);
        Assert.StartsWith("(1 2 3 ", text);
        Assert.EndsWith(" 19999 20000)", text);
    }

    [Fact]
    public void Sort_breaks_ties_by_sequence_number_and_reverse_applies_to_one_key()
    {
        var items = new[]
        {
            Item(1, null, "b", 3, from: "zed", size: 10), Item(2, null, "Re: a", 1, from: "amy", size: 30),
            Item(3, null, "B", 2, from: "Amy", size: 20), Item(4, null, "a", 2, from: null, size: 30),
        };
        string Sort(params SortCriterion[] criteria) => string.Join(' ', SortEngine.Sort(items, criteria).Select(i => i.Seq));
        Assert.Equal("2 4 1 3", Sort(new SortCriterion(SortKey.Subject, false)));
        Assert.Equal("1 3 2 4", Sort(new SortCriterion(SortKey.Subject, true)));
        Assert.Equal("4 2 3 1", Sort(new SortCriterion(SortKey.From, false)));  // none first; AMY = Amy keep order
        Assert.Equal("1 3 2 4", Sort(new SortCriterion(SortKey.Size, false)));
        Assert.Equal("2 4 3 1", Sort(new SortCriterion(SortKey.Size, true), new SortCriterion(SortKey.Subject, false)));
        Assert.Equal("2 3 4 1", Sort(new SortCriterion(SortKey.Date, false)));
    }
}
