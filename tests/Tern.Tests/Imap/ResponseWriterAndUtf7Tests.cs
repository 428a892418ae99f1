using System.Buffers;
using System.Text;
using Tern.Imap.Protocol;

namespace Tern.Tests.Imap;

public sealed class ResponseWriterAndUtf7Tests
{
    static string Write(Action<ImapResponseWriter> write, bool utf8 = false)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new ImapResponseWriter(buffer, utf8));
        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    [Theory]
    [InlineData("plain", "\"plain\"")]
    [InlineData("say \"hi\" \\o/", "\"say \\\"hi\\\" \\\\o/\"")]
    [InlineData("two\r\nlines", "{10}\r\ntwo\r\nlines")]
    [InlineData("", "\"\"")]
    public void Strings_are_quoted_or_sent_as_literals(string value, string expected) =>
        Assert.Equal(expected, Write(w => w.String(value)));

    [Fact]
    public void Eight_bit_strings_are_literals_unless_UTF8_is_accepted()
    {
        Assert.Equal("{7}\r\nGrüße", Write(w => w.String("Grüße")));
        Assert.Equal("\"Grüße\"", Write(w => w.String("Grüße"), utf8: true));
    }

    [Fact]
    public void Long_strings_become_literals()
    {
        var s = new string('x', 5000);
        Assert.StartsWith("{5000}\r\n", Write(w => w.String(s)));
    }

    [Fact]
    public void Nstring_writes_NIL_for_null() => Assert.Equal("NIL", Write(w => w.NString(null)));

    [Fact]
    public void Date_time_has_the_fixed_form() =>
        Assert.Equal("\" 1-Jul-2002 05:06:07 -0700\"", Write(w => w.DateTime(new DateTimeOffset(2002, 7, 1, 5, 6, 7, TimeSpan.FromHours(-7)))));

    [Theory]
    [InlineData("INBOX", "INBOX")]
    [InlineData("Entwürfe", "Entw&APw-rfe")]
    [InlineData("A&B", "A&-B")]
    [InlineData("日本語", "&ZeVnLIqe-")]
    [InlineData("~peter/mail/台北/日本語", "~peter/mail/&U,BTFw-/&ZeVnLIqe-")]
    [InlineData("😀", "&2D3eAA-")]
    public void Modified_UTF7_round_trips(string name, string wire)
    {
        Assert.Equal(wire, ModifiedUtf7.Encode(name));
        Assert.True(ModifiedUtf7.TryDecode(wire, out var back));
        Assert.Equal(name, back);
    }

    [Theory]
    [InlineData("&Jjo!")]        // no terminating "-"
    [InlineData("&U,BTFw-&ZeVnLIqe-")] // two shifts in a row must be one
    [InlineData("&AGE-")]        // encodes printable "a"
    [InlineData("&2D0-")]        // lone surrogate
    [InlineData("&APx-")]   // non-zero padding bits
    [InlineData("a\u00e9")]      // raw 8-bit
    public void Invalid_modified_UTF7_is_refused(string wire) => Assert.False(ModifiedUtf7.TryDecode(wire, out _));

    [Fact]
    public void Mailbox_names_are_encoded_unless_UTF8_is_accepted()
    {
        Assert.Equal("Entw&APw-rfe", Write(w => w.Mailbox("Entwürfe")));
        Assert.Equal("\"a b\"", Write(w => w.Mailbox("a b")));
        Assert.Equal("\"Entwürfe\"", Write(w => w.Mailbox("Entwürfe"), utf8: true));
        Assert.Equal("INBOX", Write(w => w.Mailbox("inbox")));
    }
}
