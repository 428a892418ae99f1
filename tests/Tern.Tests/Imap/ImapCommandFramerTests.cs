using System.Buffers;
using System.Text;
using Tern.Imap.Protocol;

namespace Tern.Tests.Imap;

public sealed class ImapCommandFramerTests
{
    const string Dialog = "a1 LOGIN {4}\r\nuser {6+}\r\npa ss\"\r\na2 NOOP\r\na3 APPEND INBOX ~{3}\r\n\0\r\n\r\n";

    public static TheoryData<int, int> Chunkings => new() { { 1, 1 }, { 2, 1 }, { 3, 2 }, { 7, 3 }, { 1000, 1 }, { 1000, 5 }, { 1000, 1000 } };

    [Theory]
    [MemberData(nameof(Chunkings))]
    public void Commands_with_literals_frame_the_same_however_the_octets_arrive(int chunk, int segment)
    {
        var d = new FramerDriver();
        d.Feed(Dialog, chunk, segment);
        Assert.Equal(3, d.Commands.Count);
        Assert.Equal("a1 LOGIN {4}", Encoding.ASCII.GetString(d.Commands[0].Text)[..12]);
        Assert.Equal("user", Encoding.ASCII.GetString(d.Commands[0].Literals[0].Literal.Span));
        Assert.Equal("pa ss\"", Encoding.ASCII.GetString(d.Commands[0].Literals[1].Literal.Span));
        Assert.Equal("a2 NOOP", Encoding.ASCII.GetString(d.Commands[1].Text));
        Assert.True(d.Commands[2].Literals[0].Literal.IsBinary);
        Assert.Equal(new byte[] { 0, 13, 10 }, d.Commands[2].Literals[0].Literal.Span.ToArray());
        Assert.Equal(2, d.Continuations); // {4} and ~{3}; {6+} needs none
    }

    [Fact]
    public void Literal_is_found_by_the_reader_where_the_command_continues()
    {
        var d = new FramerDriver();
        d.Feed("t LOGIN {4}\r\nuser \"pw\"\r\n", 1000);
        var r = new ImapArgumentReader(d.Commands[0]);
        Assert.Equal("t", r.Tag());
        r.Space();
        Assert.Equal("LOGIN", r.Atom());
        r.Space();
        Assert.Equal("user", r.AString());
        r.Space();
        Assert.Equal("pw", r.AString());
        r.ExpectEnd();
    }

    [Fact]
    public void Bare_LF_ends_a_line()
    {
        var d = new FramerDriver();
        d.Feed("a NOOP\nb NOOP\r\n", 1);
        Assert.Equal(["a NOOP", "b NOOP"], d.Commands.Select(c => Encoding.ASCII.GetString(c.Text)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public void Overlong_line_is_dropped_with_its_tag_and_the_next_command_is_read(int chunk)
    {
        var d = new FramerDriver(maxLine: 50);
        d.Feed("x9 SEARCH " + new string('A', 500) + "\r\nx10 NOOP\r\n", chunk);
        var tooLong = Assert.Single(d.Events, e => e.Status == FrameStatus.LineTooLong);
        Assert.Equal("x9", tooLong.TagHint);
        Assert.Equal("x10 NOOP", Encoding.ASCII.GetString(Assert.Single(d.Commands).Text));
    }

    [Fact]
    public void Announced_literal_size_is_reported_before_any_data_is_read()
    {
        var framer = new ImapCommandFramer(1000);
        var reader = new System.Buffers.SequenceReader<byte>(new System.Buffers.ReadOnlySequence<byte>(
            Encoding.ASCII.GetBytes("a APPEND INBOX {99999999999}\r\n")));
        var r = framer.Read(ref reader);
        Assert.Equal(FrameStatus.LiteralAnnounced, r.Status);
        Assert.Equal(99999999999, r.LiteralSize);
        Assert.Equal("a", r.TagHint);
        framer.Reset();
        Assert.False(framer.InCommand);
    }

    [Fact]
    public void Literal_size_overflowing_64_bits_is_not_taken_as_a_literal()
    {
        var d = new FramerDriver();
        d.Feed("a LOGIN {99999999999999999999999}\r\n", 1000);
        Assert.Single(d.Commands);
        Assert.Empty(d.Commands[0].Literals);
    }

    [Fact]
    public void External_literal_data_is_handed_out_in_pieces()
    {
        var framer = new ImapCommandFramer(1000);
        var data = Encoding.ASCII.GetBytes("a APPEND INBOX {10}\r\n0123456789\r\n");
        var seq = FramerDriver.Segmented(data, 4);
        var reader = new System.Buffers.SequenceReader<byte>(seq);
        Assert.Equal(FrameStatus.LiteralAnnounced, framer.Read(ref reader).Status);
        var sink = new MemoryStream();
        framer.AcceptLiteral(ImapLiteral.Spilled(sink, 10, false));
        var collected = new List<byte>();
        FrameResult r;
        while ((r = framer.Read(ref reader)).Status == FrameStatus.LiteralData)
            collected.AddRange(r.Data.ToArray());
        Assert.Equal("0123456789", Encoding.ASCII.GetString(collected.ToArray()));
        Assert.Equal(FrameStatus.Complete, r.Status);
    }
}
