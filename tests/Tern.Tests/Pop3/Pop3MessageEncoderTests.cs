using System.Buffers;
using System.Text;
using Tern.Pop3.Protocol;

namespace Tern.Tests.Pop3;

public sealed class Pop3MessageEncoderTests
{
    static string Encode(string message, long? topLines = null, int chunk = int.MaxValue)
    {
        var output = new ArrayBufferWriter<byte>();
        var encoder = new Pop3MessageEncoder(topLines);
        var bytes = Encoding.UTF8.GetBytes(message);
        for (int i = 0; i < bytes.Length; i += chunk)
        {
            if (!encoder.Encode(bytes.AsSpan(i, Math.Min(chunk, bytes.Length - i)), output))
                break;
        }
        encoder.Complete(output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }

    const string Message =
        "Subject: dots\r\nFrom: a@example.com\r\n\r\n.leading dot\r\n..two dots\r\nmiddle . dot\r\n.\r\nlast\r\n";

    [Fact]
    public void Lines_starting_with_a_dot_are_stuffed()
    {
        Assert.Equal(
            "Subject: dots\r\nFrom: a@example.com\r\n\r\n..leading dot\r\n...two dots\r\nmiddle . dot\r\n..\r\nlast\r\n",
            Encode(Message));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(7)]
    public void Output_is_the_same_whatever_the_chunk_boundaries(int chunk)
    {
        Assert.Equal(Encode(Message), Encode(Message, chunk: chunk));
        Assert.Equal(Encode(Message, 2), Encode(Message, 2, chunk));
    }

    [Fact]
    public void Message_octets_are_the_stored_size_without_the_stuffing()
    {
        var output = new ArrayBufferWriter<byte>();
        var encoder = new Pop3MessageEncoder();
        encoder.Encode(Encoding.ASCII.GetBytes(Message), output);
        encoder.Complete(output);
        Assert.Equal(Encoding.ASCII.GetByteCount(Message), encoder.MessageOctets);
        Assert.Equal(encoder.MessageOctets + 3, output.WrittenCount); // three stuffed lines
    }

    [Fact]
    public void Bare_lf_goes_out_as_crlf()
    {
        Assert.Equal("a\r\nb\r\n", Encode("a\nb\n"));
        Assert.Equal("a\r\n\r\nb\r\n", Encode("a\r\n\nb\r\n", chunk: 1));
    }

    [Fact]
    public void Last_line_without_line_end_gets_crlf()
    {
        Assert.Equal("Subject: x\r\n\r\nno newline\r\n", Encode("Subject: x\r\n\r\nno newline"));
        Assert.Equal("end\r\n", Encode("end\r"));
        Assert.Equal("", Encode(""));
    }

    [Fact]
    public void Cr_inside_a_line_is_kept()
    {
        Assert.Equal("a\rb\r\n", Encode("a\rb\r\n"));
    }

    [Fact]
    public void Top_zero_sends_the_header_and_the_blank_line()
    {
        Assert.Equal("Subject: dots\r\nFrom: a@example.com\r\n\r\n", Encode(Message, 0));
    }

    [Fact]
    public void Top_n_sends_n_body_lines_stuffed()
    {
        Assert.Equal("Subject: dots\r\nFrom: a@example.com\r\n\r\n..leading dot\r\n...two dots\r\n", Encode(Message, 2));
    }

    [Fact]
    public void Top_with_more_lines_than_the_body_sends_everything()
    {
        Assert.Equal(Encode(Message), Encode(Message, 1000));
    }

    [Fact]
    public void Top_on_a_message_without_body_sends_the_header()
    {
        Assert.Equal("Subject: only\r\n", Encode("Subject: only\r\n", 5));
    }

    [Fact]
    public void Top_stops_asking_for_input_once_done()
    {
        var output = new ArrayBufferWriter<byte>();
        var encoder = new Pop3MessageEncoder(0);
        Assert.False(encoder.Encode("A: b\r\n\r\nbody\r\n"u8, output));
        Assert.True(encoder.IsComplete);
        Assert.Equal("A: b\r\n\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }
}

public sealed class Pop3MessageEncoderFuzzTests
{
    [Fact]
    public void Random_messages_in_random_chunks_round_trip_through_unstuffing()
    {
        var random = new Random(1939);
        byte[] alphabet = "..\r\n\r\n\nab c"u8.ToArray();
        for (int round = 0; round < 500; round++)
        {
            var message = new byte[random.Next(0, 200)];
            for (int i = 0; i < message.Length; i++)
                message[i] = alphabet[random.Next(alphabet.Length)];

            var whole = new ArrayBufferWriter<byte>();
            var encoder = new Pop3MessageEncoder();
            encoder.Encode(message, whole);
            encoder.Complete(whole);

            var pieces = new ArrayBufferWriter<byte>();
            var chunked = new Pop3MessageEncoder();
            for (int i = 0; i < message.Length;)
            {
                int n = Math.Min(random.Next(1, 9), message.Length - i);
                chunked.Encode(message.AsSpan(i, n), pieces);
                i += n;
            }
            chunked.Complete(pieces);
            Assert.Equal(whole.WrittenSpan.ToArray(), pieces.WrittenSpan.ToArray());

            // Every line of the output ends with CRLF and no line is a lone "." (it would end the response).
            var text = Encoding.Latin1.GetString(whole.WrittenSpan);
            Assert.True(text.Length == 0 || text.EndsWith("\r\n", StringComparison.Ordinal));
            var lines = text.Split("\r\n");
            Assert.DoesNotContain(".", lines[..^1]);
            Assert.DoesNotContain('\n', string.Concat(lines));

            // Removing the stuffing gives the message with its line ends made CRLF (and a final CRLF).
            var unstuffed = string.Concat(lines[..^1].Select(l => (l.StartsWith('.') ? l[1..] : l) + "\r\n"));
            Assert.Equal(unstuffed.Length, encoder.MessageOctets);
        }
    }
}
