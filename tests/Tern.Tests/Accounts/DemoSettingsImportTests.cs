using System.Text;
using Tern.Accounts;

namespace Tern.Tests.Accounts;

public sealed class DemoSettingsImportTests : IDisposable
{
    readonly TempAccountStore accounts = new();

    [Fact]
    public void Ini_sections_and_keys_ignore_case_and_comments_and_quotes_are_handled()
    {
        var ini = DemoSettingsImport.ParseIni("\uFEFF; comment\r\n[users]\r\ncount = 2\r\n# other comment\r\n[User0]\r\nEMAIL= a@example.com \r\npassword=\"with = sign\"\r\n");
        var users = DemoSettingsImport.ReadUsers(ini);
        Assert.Equal(2, users.Count);
        Assert.Equal(new DemoUser("USER0", null, "with = sign", "a@example.com"), users[0]);
        Assert.Equal(new DemoUser("USER1", null, null, null), users[1]);
    }

    [Theory]
    [InlineData("[SMTP]\nPort=25\n", "no [USERS] section")]
    [InlineData("[USERS]\nCount=many\n", "is not a number")]
    [InlineData("[USERS]\nCount=-1\n", "is not a number")]
    [InlineData("[USERS]\nCount=999999999\n", "is more than")]
    public void Bad_users_section_is_refused(string text, string expected)
    {
        var ex = Assert.Throws<AccountException>(() => DemoSettingsImport.ReadUsers(DemoSettingsImport.ParseIni(text)));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Latin1_file_of_the_demo_is_read()
    {
        var path = Path.Combine(accounts.DataDirectory, "settings.ini");
        await File.WriteAllBytesAsync(path, Encoding.Latin1.GetBytes("[USERS]\r\nCount=1\r\n[USER0]\r\nUserName=j\r\nPassword=pässwörd\r\nEmail=j@example.com\r\n"));
        var user = Assert.Single(await DemoSettingsImport.ReadUsersAsync(path));
        Assert.Equal("pässwörd", user.Password);
    }

    [Fact]
    public async Task Import_adds_domains_hashes_passwords_skips_existing_and_reports_bad_entries()
    {
        await accounts.AddUserAsync("existing@example.com", "old");
        DemoUser[] users =
        [
            new("USER0", "alice", "alice-pass", "alice@example.com"),
            new("USER1", "existing", "new-pass", "EXISTING@example.com"),
            new("USER2", "bob@other.org", "bob-pass", null),
            new("USER3", "nomail", "x", null),
            new("USER4", "bad", "x", "bad address@example.com"),
            new("USER5", "nopass", null, "nopass@example.com"),
            new("USER6", null, null, null),
        ];
        var summary = await DemoSettingsImport.ImportAsync(accounts.Store, users);

        Assert.Equal((2, 1, 4), (summary.Imported, summary.Skipped, summary.Failed));
        Assert.Equal(["other.org"], summary.DomainsAdded);
        Assert.NotNull(await accounts.Store.VerifyPasswordAsync("alice@example.com", "alice-pass"));
        Assert.NotNull(await accounts.Store.VerifyPasswordAsync("bob@other.org", "bob-pass"));
        Assert.NotNull(await accounts.Store.VerifyPasswordAsync("existing@example.com", "old"));
        Assert.Contains("[USER3] nomail: no Email, so no address to log in with", summary.Notes);
        Assert.Contains("[USER5] nopass@example.com: no Password", summary.Notes);
        Assert.Contains("[USER6] missing from the file", summary.Notes);
        Assert.DoesNotContain(summary.Notes, n => n.Contains("pass", StringComparison.Ordinal) && n.Contains("alice-pass", StringComparison.Ordinal));
    }

    public void Dispose() => accounts.Dispose();
}
