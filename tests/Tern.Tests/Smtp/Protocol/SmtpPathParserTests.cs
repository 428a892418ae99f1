using Tern.Smtp.Protocol;

namespace Tern.Tests.Smtp.Protocol;

public sealed class SmtpPathParserTests
{
    [Fact]
    public void Mail_from_with_parameters()
    {
        Assert.True(SmtpPathParser.TryParseMailFrom("FROM:<alice@example.com> SIZE=1000 body=8bitmime SMTPUTF8", out var sender, out var p, out _));
        Assert.Equal("alice@example.com", sender!.Value);
        Assert.Equal(["SIZE", "BODY", "SMTPUTF8"], p.Select(x => x.Keyword));
        Assert.Equal("8bitmime", p[1].Value);
        Assert.Null(p[2].Value);
    }

    [Fact]
    public void Null_sender_and_postmaster()
    {
        Assert.True(SmtpPathParser.TryParseMailFrom("FROM:<>", out var sender, out _, out _));
        Assert.Null(sender);
        Assert.True(SmtpPathParser.TryParseRcptTo("TO:<Postmaster>", out var rcpt, out _, out _));
        Assert.Equal("", rcpt.Domain);
    }

    [Fact]
    public void Source_route_is_stripped_and_quoted_plain_local_part_unquoted()
    {
        Assert.True(SmtpPathParser.TryParseRcptTo("TO:<@relay.example,@b.example:bob@example.org>", out var a, out _, out _));
        Assert.Equal("bob@example.org", a.Value);
        Assert.True(SmtpPathParser.TryParseRcptTo("TO:<\"bob\"@example.org>", out var b, out _, out _));
        Assert.Equal("bob@example.org", b.Value);
    }

    [Theory]
    [InlineData("TO:<a%b@example.org>")]
    [InlineData("TO:<host!user@example.org>")]
    [InlineData("TO:<\"user@other.example\"@example.org>")]
    public void Routing_tricks_are_flagged(string argument)
    {
        Assert.True(SmtpPathParser.TryParseRcptTo(argument, out var a, out _, out _));
        Assert.True(a.HasRoutingCharacters);
    }

    [Theory]
    [InlineData("TO:bob@example.org")]
    [InlineData("TO:<bob@example.org")]
    [InlineData("TO:<bob>")]
    [InlineData("TO:<.bob@example.org>")]
    [InlineData("TO:<bob@-example.org>")]
    [InlineData("TO:<bob@example..org>")]
    [InlineData("TO:<bob@[999.1.1.1]>")]
    [InlineData("TO:<bob@example.org>SIZE=1")]
    [InlineData("FOO:<bob@example.org>")]
    public void Invalid_paths_are_refused(string argument)
    {
        Assert.False(SmtpPathParser.TryParseRcptTo(argument, out _, out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Utf8_address_and_address_literal_parse()
    {
        Assert.True(SmtpPathParser.TryParseRcptTo("TO:<jürgen@bücher.example>", out var u, out _, out _));
        Assert.False(u.IsAscii);
        Assert.True(SmtpPathParser.TryParseRcptTo("TO:<bob@[192.0.2.1]>", out var l, out _, out _));
        Assert.Equal("[192.0.2.1]", l.Domain);
    }

    [Fact]
    public void Over_long_local_part_is_refused()
    {
        Assert.False(SmtpPathParser.TryParseRcptTo($"TO:<{new string('a', 65)}@example.org>", out _, out _, out _));
    }

    [Fact]
    public void Xtext_round_trips()
    {
        Assert.True(Xtext.TryDecode("rfc822+3Bbob+2Bx@example.org", out var decoded));
        Assert.Equal("rfc822;bob+x@example.org", decoded);
        Assert.Equal("a+2Bb+3Dc", Xtext.Encode("a+b=c"));
        Assert.False(Xtext.TryDecode("bad+zz", out _));
    }

    [Fact]
    public void Command_parser_splits_verb_and_refuses_nul()
    {
        Assert.Equal(SmtpLineError.None, SmtpCommandParser.TryParse("mail FROM:<a@b>"u8, out var c));
        Assert.Equal(SmtpVerb.Mail, c.Verb);
        Assert.Equal("FROM:<a@b>", c.Argument);
        Assert.Equal(SmtpLineError.NulByte, SmtpCommandParser.TryParse("NOOP\0"u8, out _));
        Assert.Equal(SmtpLineError.InvalidUtf8, SmtpCommandParser.TryParse(new byte[] { (byte)'N', 0xFF }, out _));
    }

    [Fact]
    public void Received_header_names_client_tls_user_and_queue_id()
    {
        var trace = new ReceivedTrace("client.example", System.Net.IPAddress.Parse("192.0.2.7"), "mx.example", Esmtp: true, SmtpUtf8: false,
            "TLSv1.3 TLS_AES_256_GCM_SHA384", "alice@example.com", "0123456789ABCDEF012345", "bob@example.org",
            new DateTimeOffset(2026, 11, 27, 8, 0, 0, TimeSpan.Zero));
        var header = ReceivedHeader.Format(trace);
        Assert.Equal(
            "Received: from client.example ([192.0.2.7])\r\n\tby mx.example (Tern) with ESMTPSA\r\n\t(TLSv1.3 TLS_AES_256_GCM_SHA384)\r\n" +
            "\t(authenticated as alice@example.com)\r\n\tid 0123456789ABCDEF012345\r\n\tfor <bob@example.org>;\r\n\tFri, 27 Nov 2026 08:00:00 +0000\r\n",
            header);
        var hostile = ReceivedHeader.Format(trace with { Helo = "evil)\r\nX-Injected: 1", Tls = null, AuthenticatedUser = null });
        Assert.DoesNotContain("\r\nX-Injected", hostile, StringComparison.Ordinal);
        Assert.Contains("with ESMTP\r\n", hostile, StringComparison.Ordinal);
    }
}
