using Tern.Imap.Protocol;

namespace Tern.Tests.Imap;

public sealed class ImapArgumentReaderTests
{
    [Fact]
    public void Quoted_string_unescapes_quote_and_backslash()
    {
        var r = FramerDriver.Args("\"a\\\"b\\\\c\"");
        Assert.Equal("a\"b\\c", r.String());
        Assert.True(r.AtEnd);
    }

    [Theory]
    [InlineData("\"abc")]
    [InlineData("\"a\\bc\"")]
    public void Bad_quoted_strings_are_grammar_errors(string text) =>
        Assert.Throws<ImapParseException>(() => FramerDriver.Args(text).String());

    [Fact]
    public void Astring_accepts_resp_specials_but_atom_does_not()
    {
        Assert.Equal("a]b", FramerDriver.Args("a]b").AString());
        var r = FramerDriver.Args("a]b");
        Assert.Equal("a", r.Atom());
    }

    [Fact]
    public void Nstring_reads_NIL()
    {
        Assert.Null(FramerDriver.Args("NIL").NString());
        Assert.Equal("NIL", FramerDriver.Args("\"NIL\"").NString());
    }

    [Theory]
    [InlineData("1:3,5,7:*", "1:3,5,7:*")]
    [InlineData("*:4", "*:4")]
    [InlineData("$", "$")]
    public void Sequence_sets_parse(string text, string expected) =>
        Assert.Equal(expected, FramerDriver.Args(text).SequenceSet().ToString());

    [Theory]
    [InlineData("0")]
    [InlineData("1:0")]
    [InlineData(",1")]
    [InlineData("1,")]
    [InlineData("99999999999")]
    [InlineData("a")]
    public void Invalid_sequence_sets_are_grammar_errors(string text) =>
        Assert.Throws<ImapParseException>(() => FramerDriver.Args(text).SequenceSet());

    [Fact]
    public void Huge_sequence_set_is_refused()
    {
        var text = string.Join(',', Enumerable.Range(1, 200_001));
        Assert.Throws<ImapParseException>(() => FramerDriver.Args(text).SequenceSet());
    }

    [Fact]
    public void Sequence_set_resolves_star_and_reversed_ranges()
    {
        var set = FramerDriver.Args("5:*,3:1").SequenceSet();
        Assert.Equal([(5u, 9u), (1u, 3u)], set.Resolve(9).ToList());
    }

    [Fact]
    public void Dates_parse_quoted_and_unquoted()
    {
        Assert.Equal(new DateOnly(2024, 2, 1), FramerDriver.Args("1-Feb-2024").Date());
        Assert.Equal(new DateOnly(2024, 2, 11), FramerDriver.Args("\"11-Feb-2024\"").Date());
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("31-Feb-2024").Date());
    }

    [Fact]
    public void Date_time_parses_zone_and_space_padded_day()
    {
        var d = FramerDriver.Args("\" 1-Jul-2002 05:06:07 -0700\"").DateTime();
        Assert.Equal(new DateTimeOffset(2002, 7, 1, 5, 6, 7, TimeSpan.FromHours(-7)), d);
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("\"1-Jul-2002 05:06:07 -0700\"").DateTime());
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("\"01-Jul-2002 25:06:07 -0700\"").DateTime());
    }

    [Fact]
    public void Flag_list_reads_system_flags_and_keywords()
    {
        Assert.Equal(["\\Seen", "$Label1"], FramerDriver.Args("(\\Seen $Label1)").FlagList());
        Assert.Empty(FramerDriver.Args("()").FlagList());
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("(\\Seen  x)").FlagList());
    }

    [Fact]
    public void Nesting_beyond_the_cap_is_refused()
    {
        var deep = new string('(', 40) + "ALL" + new string(')', 40);
        Assert.Throws<ImapParseException>(() => SearchParser.Parse(FramerDriver.Args(deep, depth: 16)));
        var ok = new string('(', 10) + "ALL" + new string(')', 10);
        Assert.Equal(SearchKeyKind.All, SearchParser.Parse(FramerDriver.Args(ok)).Key.Kind);
    }

    [Fact]
    public void Numbers_overflowing_are_refused()
    {
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("4294967296").Number());
        Assert.Equal(4294967295u, FramerDriver.Args("4294967295").Number());
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("99999999999999999999").Number64());
    }

    [Fact]
    public void Tag_excludes_plus_and_specials()
    {
        Assert.Equal("A001", FramerDriver.Args("A001 NOOP").Tag());
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("+ NOOP").Tag());
        Assert.Throws<ImapParseException>(() => FramerDriver.Args("(x NOOP").Tag());
    }
}
