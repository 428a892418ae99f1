using System.Text;
using Tern.Smtp.Protocol;

namespace Tern.Tests.Smtp.Protocol;

public sealed class DataDecoderTests
{
    sealed record Decoded(string Output, bool Completed, int Consumed, DataProblems Problems);

    /// <summary>Feeds the input whole and one byte at a time; both must agree.</summary>
    static Decoded Decode(string input, bool normalize = false, bool dot = true, int maxLine = 1000)
    {
        var bytes = Encoding.Latin1.GetBytes(input);
        var whole = Run(bytes, bytes.Length, normalize, dot, maxLine);
        var single = Run(bytes, 1, normalize, dot, maxLine);
        Assert.Equal(whole, single);
        return whole;
    }

    static Decoded Run(byte[] bytes, int step, bool normalize, bool dot, int maxLine)
    {
        var decoder = new DataDecoder(dot, normalize, maxLine);
        var output = new List<byte>();
        int consumed = 0;
        var buffer = new byte[DataDecoder.MaxOutputLength(Math.Max(step, 1))];
        while (consumed < bytes.Length && !decoder.Completed)
        {
            var piece = bytes.AsSpan(consumed, Math.Min(step, bytes.Length - consumed));
            int used = decoder.Decode(piece, buffer, out int written);
            output.AddRange(buffer.AsSpan(0, written).ToArray());
            consumed += used;
        }
        if (!dot)
        {
            int n = decoder.Finish(buffer);
            output.AddRange(buffer.AsSpan(0, n).ToArray());
        }
        return new Decoded(Encoding.Latin1.GetString(output.ToArray()), decoder.Completed, consumed, decoder.Problems);
    }

    [Fact]
    public void Data_ends_only_at_crlf_dot_crlf_and_leaves_the_rest_unread()
    {
        var d = Decode("Subject: x\r\n\r\nbody\r\n.\r\nMAIL FROM:<a@b>\r\n");
        Assert.True(d.Completed);
        Assert.Equal("Subject: x\r\n\r\nbody\r\n", d.Output);
        Assert.Equal("Subject: x\r\n\r\nbody\r\n.\r\n".Length, d.Consumed);
        Assert.Equal(DataProblems.None, d.Problems);
    }

    [Fact]
    public void Empty_message_ends_at_the_first_dot_line()
    {
        var d = Decode(".\r\n");
        Assert.True(d.Completed);
        Assert.Equal("", d.Output);
    }

    [Fact]
    public void Dot_unstuffing_removes_exactly_one_leading_dot()
    {
        var d = Decode("..\r\n...x\r\n.y\r\na.b\r\n.\r\n");
        Assert.True(d.Completed);
        Assert.Equal(".\r\n..x\r\ny\r\na.b\r\n", d.Output);
    }

    [Theory]
    [InlineData("a\n.\nMAIL FROM:<x@y>\r\n")]        // <LF>.<LF>
    [InlineData("a\r.\rMAIL FROM:<x@y>\r\n")]        // <CR>.<CR>
    [InlineData("a\n.\r\nMAIL FROM:<x@y>\r\n")]      // <LF>.<CRLF>
    [InlineData("a\r.\nMAIL FROM:<x@y>\r\n")]        // <CR>.<LF>
    [InlineData("a\r\n.\nMAIL FROM:<x@y>\r\n")]      // <CRLF>.<LF>
    [InlineData("a\r\n.\rMAIL FROM:<x@y>\r\n")]      // <CRLF>.<CR>
    public void Smuggling_end_markers_are_not_the_end_and_are_reported(string input)
    {
        var d = Decode(input);
        Assert.False(d.Completed);
        Assert.Equal(input.Length, d.Consumed);
        Assert.True(d.Problems.HasFlag(DataProblems.BareLineEnding));

        var n = Decode(input, normalize: true);
        Assert.False(n.Completed);
        Assert.True(n.Problems.HasFlag(DataProblems.BareLineEnding));
    }

    [Fact]
    public void Normalize_mode_turns_bare_line_ends_into_crlf()
    {
        var d = Decode("a\nb\rc\r\r\n..d\n.\r\n", normalize: true);
        Assert.False(d.Completed); // the ".\r\n" follows a bare LF: never an end
        Assert.Equal("a\r\nb\r\nc\r\n\r\n.d\r\n.\r\n", d.Output);
        var end = Decode("a\nb\r\n.\r\n", normalize: true);
        Assert.True(end.Completed);
        Assert.Equal("a\r\nb\r\n", end.Output);
    }

    [Fact]
    public void Long_lines_and_eight_bit_octets_are_reported()
    {
        Assert.True(Decode(new string('x', 1001) + "\r\n.\r\n").Problems.HasFlag(DataProblems.LineTooLong));
        Assert.False(Decode(new string('x', 1000) + "\r\n.\r\n").Problems.HasFlag(DataProblems.LineTooLong));
        Assert.True(Decode("caf\u00e9\r\n.\r\n").Problems.HasFlag(DataProblems.EightBit));
    }

    [Fact]
    public void Bdat_mode_has_no_dot_rules_but_still_checks_line_ends()
    {
        var d = Decode("..x\r\n.\r\nrest", dot: false);
        Assert.False(d.Completed);
        Assert.Equal("..x\r\n.\r\nrest", d.Output);
        Assert.Equal(DataProblems.None, d.Problems);
        Assert.True(Decode("a\nb", dot: false).Problems.HasFlag(DataProblems.BareLineEnding));
        Assert.True(Decode("a\r", dot: false).Problems.HasFlag(DataProblems.BareLineEnding));
    }
}
