using Tern.Configuration;
using Tern.Store;

namespace Tern.Tests.Store;

public sealed class MailboxNamesTests
{
    static readonly StoreOptions Options = new() { MaxMailboxNameLength = 64, MaxMailboxDepth = 4 };

    [Theory]
    [InlineData("inbox", "INBOX")]
    [InlineData("InBoX", "INBOX")]
    [InlineData("inbox/Sub", "INBOX/Sub")]
    [InlineData("Archive/2024", "Archive/2024")]
    [InlineData("Ünïcødé/日本", "Ünïcødé/日本")]
    [InlineData("inboxes", "inboxes")]
    public void Valid_names_are_normalized(string name, string expected) =>
        Assert.Equal(expected, MailboxNames.Normalize(name, Options));

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    [InlineData("/etc/passwd")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("..")]
    [InlineData("../../etc")]
    [InlineData("a/../b")]
    [InlineData("a/./b")]
    [InlineData("a\0b")]
    [InlineData("a\nb")]
    [InlineData("a\tb")]
    [InlineData("a\u007fb")]
    [InlineData("a*")]
    [InlineData("%")]
    [InlineData("a/b/c/d/e")]
    [InlineData(" ")]
    public void Invalid_names_are_refused(string name) =>
        Assert.Throws<MailboxNameException>(() => MailboxNames.Normalize(name, Options));

    [Fact]
    public void Over_long_names_are_refused() =>
        Assert.Throws<MailboxNameException>(() => MailboxNames.Normalize(new string('x', 65), Options));

    [Fact]
    public void Unpaired_surrogates_are_refused() =>
        Assert.Throws<MailboxNameException>(() => MailboxNames.Normalize("a\ud800b", Options));
}
