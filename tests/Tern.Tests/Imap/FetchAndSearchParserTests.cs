using Tern.Imap.Protocol;

namespace Tern.Tests.Imap;

public sealed class FetchAndSearchParserTests
{
    [Fact]
    public void Fetch_macros_expand()
    {
        Assert.Equal(4, FetchParser.Parse(FramerDriver.Args("ALL")).Count);
        Assert.Equal(3, FetchParser.Parse(FramerDriver.Args("FAST")).Count);
        Assert.Equal(5, FetchParser.Parse(FramerDriver.Args("full")).Count);
    }

    [Fact]
    public void Body_sections_with_partial_and_peek_parse()
    {
        var items = FetchParser.Parse(FramerDriver.Args("(UID BODY.PEEK[1.2.HEADER.FIELDS (From \"To\")]<10.20> BODY[] BODY[3.MIME] BINARY[1]<0.5> BINARY.SIZE[2] RFC822.SIZE)"));
        Assert.Equal(FetchItemKind.Uid, items[0].Kind);
        var b = items[1];
        Assert.Equal(FetchItemKind.BodySection, b.Kind);
        Assert.True(b.Peek);
        Assert.Equal([1u, 2u], b.Section!.Parts);
        Assert.Equal(SectionText.HeaderFields, b.Section.Text);
        Assert.Equal(["FROM", "TO"], b.Section.Fields);
        Assert.Equal(10, b.PartialOffset);
        Assert.Equal(20, b.PartialLength);
        Assert.Equal("1.2.HEADER.FIELDS (FROM TO)", b.Section.ToString());
        Assert.Same(Section.Whole, items[2].Section);
        Assert.True(items[2].SetsSeen);
        Assert.Equal(SectionText.Mime, items[3].Section!.Text);
        Assert.Equal(FetchItemKind.Binary, items[4].Kind);
        Assert.Equal(FetchItemKind.BinarySize, items[5].Kind);
    }

    [Theory]
    [InlineData("BODY[MIME]")]
    [InlineData("BODY[0]")]
    [InlineData("BODY[1.FOO]")]
    [InlineData("BODY[]<1.0>")]
    [InlineData("(FLAGS")]
    [InlineData("NOPE")]
    [InlineData("BODY[HEADER.FIELDS ()]")]
    public void Bad_fetch_items_are_grammar_errors(string text) =>
        Assert.Throws<ImapParseException>(() => FetchParser.Parse(FramerDriver.Args(text)));

    [Fact]
    public void Search_program_parses_every_kind_of_key()
    {
        var cmd = SearchParser.Parse(FramerDriver.Args(
            "RETURN (MIN COUNT SAVE) CHARSET UTF-8 1:5 UID 3:* OR SEEN NOT DELETED HEADER X-Spam yes SINCE 1-Jan-2020 LARGER 100 (FROM \"a b\" TEXT hi) KEYWORD $x SENTON \"2-Feb-2021\" $"));
        Assert.Equal("UTF-8", cmd.Charset);
        Assert.Equal(SearchReturn.Min | SearchReturn.Count | SearchReturn.Save, cmd.Return);
        var keys = cmd.Key.Children!;
        Assert.Equal([SearchKeyKind.SequenceSet, SearchKeyKind.Uid, SearchKeyKind.Or, SearchKeyKind.Header, SearchKeyKind.Since,
            SearchKeyKind.Larger, SearchKeyKind.And, SearchKeyKind.Keyword, SearchKeyKind.SentOn, SearchKeyKind.SequenceSet],
            keys.Select(k => k.Kind));
        Assert.Equal("X-Spam", keys[3].Field);
        Assert.True(cmd.Key.NeedsContent);
        Assert.True(keys[9].Set!.IsSaved);
    }

    [Fact]
    public void Empty_return_list_means_ALL() =>
        Assert.Equal(SearchReturn.All, SearchParser.Parse(FramerDriver.Args("RETURN () ALL")).Return);

    [Theory]
    [InlineData("OR SEEN")]
    [InlineData("FROG")]
    [InlineData("SINCE yesterday")]
    [InlineData("LARGER x")]
    [InlineData("(SEEN")]
    public void Bad_search_programs_are_grammar_errors(string text) =>
        Assert.Throws<ImapParseException>(() => SearchParser.Parse(FramerDriver.Args(text)));

    [Fact]
    public void Too_many_search_keys_are_refused()
    {
        var text = string.Join(' ', Enumerable.Repeat("SEEN", 2000));
        Assert.Throws<ImapParseException>(() => SearchParser.Parse(FramerDriver.Args(text)));
    }
}
