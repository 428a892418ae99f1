using System.Text;
using MimeKit;
using Tern.Delivery.Local;

namespace Tern.Tests.Delivery;

/// <summary>The scan that lets local delivery skip parsing headers without a Delivered-To field: it must never say
/// "none" where MimeKit's parser finds one.</summary>
public sealed class HeaderScanTests
{
    static bool ScanFinds(string message)
    {
        var bytes = Encoding.ASCII.GetBytes(message);
        var end = LocalDeliveryAgent.HeaderSectionLength(bytes);
        Assert.NotNull(end);
        return LocalDeliveryAgent.HasFieldAtLineStart(bytes.AsSpan(0, end.Value), "delivered-to"u8);
    }

    static bool ParserFinds(string message)
    {
        using var stream = new MemoryStream(Encoding.ASCII.GetBytes(message));
        return HeaderList.Load(ParserOptions.Default, stream).Any(h => h.Field.Equals("Delivered-To", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("Received: from x\r\nSubject: hi\r\n\r\nDelivered-To: in the body\r\n", false)]
    [InlineData("Received: from x\r\nDelivered-To: alice@example.com\r\n\r\nbody\r\n", true)]
    [InlineData("DELIVERED-TO: alice@example.com\r\nSubject: first line\r\n\r\nbody\r\n", true)]
    [InlineData("Subject: x\r\ndelivered-to : alice@example.com\r\n\r\n", true)]
    [InlineData("Subject: folded\r\n Delivered-To: not a field\r\n\r\n", false)]
    [InlineData("X-Delivered-To: alice@example.com\r\nDelivered-Top: x\r\n\r\n", false)]
    [InlineData("Subject: lf only\nDelivered-To: alice@example.com\n\nbody\n", true)]
    [InlineData("\r\nDelivered-To: after the empty line is body\r\n", false)]
    public void Scan_agrees_with_the_parser(string message, bool expected)
    {
        Assert.Equal(expected, ScanFinds(message));
        Assert.Equal(expected, ParserFinds(message));
    }

    [Fact]
    public void A_header_section_without_its_end_in_the_buffer_is_left_to_the_parser()
    {
        Assert.Null(LocalDeliveryAgent.HeaderSectionLength("Subject: no end yet\r\nX-Long: aaaa"u8));
    }
}
