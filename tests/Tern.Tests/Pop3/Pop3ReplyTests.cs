using System.Buffers;
using System.Text;
using Tern.Pop3.Protocol;

namespace Tern.Tests.Pop3;

public sealed class Pop3ReplyTests
{
    [Theory]
    [InlineData(Pop3ResponseCode.InUse, "-ERR [IN-USE] locked")]
    [InlineData(Pop3ResponseCode.LoginDelay, "-ERR [LOGIN-DELAY] locked")]
    [InlineData(Pop3ResponseCode.SysTemp, "-ERR [SYS/TEMP] locked")]
    [InlineData(Pop3ResponseCode.SysPerm, "-ERR [SYS/PERM] locked")]
    [InlineData(Pop3ResponseCode.Auth, "-ERR [AUTH] locked")]
    [InlineData(Pop3ResponseCode.None, "-ERR locked")]
    public void Error_replies_carry_the_response_code_in_brackets(Pop3ResponseCode code, string expected)
    {
        Assert.Equal(expected, Pop3Reply.Err("locked", code));
    }

    [Fact]
    public void Ok_reply_without_text_is_bare()
    {
        Assert.Equal("+OK", Pop3Reply.Ok(""));
        Assert.Equal("+OK 2 320", Pop3Reply.Ok(Pop3Reply.DropListing(2, 320)));
    }

    [Fact]
    public void Scan_and_unique_id_listings_are_written_with_crlf()
    {
        var output = new ArrayBufferWriter<byte>();
        Pop3Reply.WriteScanListing(output, 12, 4_500_000_000);
        Pop3Reply.WriteUniqueIdListing(output, 12, uint.MaxValue, long.MaxValue);
        Assert.Equal($"12 4500000000\r\n12 {uint.MaxValue}.{long.MaxValue}\r\n", Encoding.ASCII.GetString(output.WrittenSpan));
    }

    [Fact]
    public void Unique_ids_fit_rfc_1939_even_at_the_largest_values()
    {
        var id = Pop3UniqueId.Format(uint.MaxValue, long.MaxValue);
        Assert.InRange(id.Length, 1, 70);
        Assert.All(id, c => Assert.InRange(c, '\x21', '\x7e'));
        Assert.Equal("1732700000.42", Pop3UniqueId.Format(1732700000, 42));
    }
}
