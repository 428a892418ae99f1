using System.Text;
using Tern.Pop3.Protocol;

namespace Tern.Tests.Pop3;

public sealed class Pop3CommandParserTests
{
    static Pop3Command Parse(string line)
    {
        Assert.True(Pop3CommandParser.TryParse(Encoding.UTF8.GetBytes(line), out var command, out var error), error);
        return command;
    }

    [Theory]
    [InlineData("stat", "STAT", "")]
    [InlineData("List 3", "LIST", "3")]
    [InlineData("TOP 1 10", "TOP", "1 10")]
    [InlineData("uidl", "UIDL", "")]
    public void Keyword_is_case_insensitive_and_arguments_are_kept(string line, string keyword, string arguments)
    {
        var command = Parse(line);
        Assert.Equal(keyword, command.Keyword);
        Assert.Equal(arguments, command.Arguments);
    }

    [Fact]
    public void Pass_keeps_spaces_inside_the_password()
    {
        var command = Parse("PASS correct horse  battery");
        Assert.Equal("correct horse  battery", command.Arguments);
    }

    [Fact]
    public void Utf8_password_is_decoded()
    {
        Assert.Equal("pässwörd", Parse("PASS pässwörd").Arguments);
    }

    [Theory]
    [InlineData("")]
    [InlineData(" STAT")]
    [InlineData("ST4T")]
    [InlineData("\u00e9TAT")]
    [InlineData("AVERYLONGKEYWORDTHATISNOTACOMMAND")]
    public void Malformed_keyword_is_refused(string line)
    {
        Assert.False(Pop3CommandParser.TryParse(Encoding.UTF8.GetBytes(line), out _, out var error));
        Assert.NotEmpty(error);
    }

    [Fact]
    public void Invalid_utf8_in_arguments_is_refused()
    {
        byte[] line = [.. "PASS "u8, 0xC3, 0x28];
        Assert.False(Pop3CommandParser.TryParse(line, out _, out var error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Nul_in_arguments_is_refused()
    {
        Assert.False(Pop3CommandParser.TryParse("USER a\0b"u8, out _, out _));
    }

    [Theory]
    [InlineData("1", 1)]
    [InlineData("007", 7)]
    [InlineData("2147483647", int.MaxValue)]
    public void Message_numbers_are_positive_decimal(string text, int expected)
    {
        Assert.True(Pop3CommandParser.TryParseMessageNumber(text, out int number));
        Assert.Equal(expected, number);
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1.0")]
    [InlineData("1e3")]
    [InlineData("2147483648")]
    [InlineData("99999999999999999999")]
    [InlineData("")]
    [InlineData("x")]
    [InlineData("\u0661")]
    public void Bad_message_numbers_are_refused(string text)
    {
        Assert.False(Pop3CommandParser.TryParseMessageNumber(text, out _));
    }

    [Theory]
    [InlineData("0", 0)]
    [InlineData("25", 25)]
    public void Top_line_counts_may_be_zero(string text, long expected)
    {
        Assert.True(Pop3CommandParser.TryParseLineCount(text, out long lines));
        Assert.Equal(expected, lines);
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("")]
    [InlineData("ten")]
    public void Bad_line_counts_are_refused(string text)
    {
        Assert.False(Pop3CommandParser.TryParseLineCount(text, out _));
    }

    [Theory]
    [InlineData("PASS hunter2 with spaces", "PASS ***")]
    [InlineData("AUTH PLAIN AGpvZUBleGFtcGxlLmNvbQBzZWNyZXQ=", "AUTH PLAIN ***")]
    [InlineData("AUTH LOGIN", "AUTH LOGIN")]
    [InlineData("AUTH", "AUTH")]
    [InlineData("USER joe@example.com", "USER joe@example.com")]
    public void Session_log_form_redacts_secrets(string line, string logged)
    {
        Assert.Equal(logged, Parse(line).ToRedactedString());
    }
}

public sealed class Pop3CommandParserFuzzTests
{
    [Fact]
    public void Random_bytes_never_throw_and_parse_to_an_upper_case_keyword()
    {
        var random = new Random(2449);
        for (int round = 0; round < 5000; round++)
        {
            var line = new byte[random.Next(0, 40)];
            random.NextBytes(line);
            if (round % 2 == 0)
                "RETR "u8[..Math.Min(5, line.Length)].CopyTo(line);
            if (Pop3CommandParser.TryParse(line, out var command, out _))
            {
                Assert.Equal(command.Keyword.ToUpperInvariant(), command.Keyword);
                Assert.All(command.Keyword, c => Assert.True(char.IsAsciiLetterUpper(c)));
                _ = command.SplitArguments();
                _ = command.ToRedactedString();
            }
        }
    }
}
