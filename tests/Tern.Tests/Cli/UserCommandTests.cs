using Tern.Accounts;
using Tern.Configuration;

namespace Tern.Tests.Cli;

public sealed class UserCommandTests : IDisposable
{
    readonly CliSandbox tern = new();

    /// <summary>A store on the same data folder, as the running server would have it.</summary>
    SqliteAccountStore OpenStore()
    {
        var options = new TernOptions { DataDirectory = tern.DataDirectory };
        options.Auth.PasswordIterations = 1000;
        return new SqliteAccountStore(options, new PasswordHasher(options));
    }

    static void AssertOk(TernRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Equal("", run.Error);
    }

    static void AssertOneLineError(TernRun run, string expected)
    {
        Assert.True(run.ExitCode != 0, run.ToString());
        var line = Assert.Single(run.ErrorLines);
        Assert.Equal("tern: " + expected, line);
    }

    async Task AddDomainAndUserAsync(string address = "alice@example.com", string password = "first-password")
    {
        AssertOk(await tern.RunAsync("domain", "add", address[(address.IndexOf('@') + 1)..]));
        AssertOk(await tern.RunWithInputAsync(password + "\n", "user", "add", address, "--password-stdin"));
    }

    [Fact]
    public async Task User_add_reads_the_password_from_stdin_and_list_and_show_print_the_user()
    {
        AssertOk(await tern.RunAsync("domain", "add", "example.com"));
        var add = await tern.RunWithInputAsync("s3cret pass\n", "user", "add", "Alice@Example.COM", "--password-stdin", "--quota", "10M");
        AssertOk(add);
        Assert.Equal("user Alice@example.com added (id 1, quota 10 MiB)", add.Output.Trim());

        var list = await tern.RunAsync("user", "list");
        AssertOk(list);
        var lines = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("ID  ADDRESS", lines[0], StringComparison.Ordinal);
        Assert.Matches(@"^1\s+Alice@example\.com\s+yes\s+10 MiB\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ$", lines[1]);

        var show = await tern.RunAsync("user", "show", "alice@example.com");
        AssertOk(show);
        Assert.Contains("address:  Alice@example.com", show.Output, StringComparison.Ordinal);
        Assert.Contains("quota:    10 MiB (10485760 bytes)", show.Output, StringComparison.Ordinal);
        Assert.Contains("enabled:  yes", show.Output, StringComparison.Ordinal);

        using var store = OpenStore();
        Assert.NotNull(await store.VerifyPasswordAsync("alice@example.com", "s3cret pass"));
        Assert.DoesNotContain("s3cret", add.Output + list.Output + show.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task User_passwd_changes_the_password()
    {
        await AddDomainAndUserAsync();
        var run = await tern.RunWithInputAsync("second-password\n", "user", "passwd", "alice@example.com", "--password-stdin");
        AssertOk(run);
        Assert.Equal("password of alice@example.com changed", run.Output.Trim());
        using var store = OpenStore();
        Assert.Null(await store.VerifyPasswordAsync("alice@example.com", "first-password"));
        Assert.NotNull(await store.VerifyPasswordAsync("alice@example.com", "second-password"));
    }

    [Fact]
    public async Task User_disable_and_enable_are_seen_by_an_already_open_store()
    {
        using var store = OpenStore();
        await AddDomainAndUserAsync();
        // The store has its pooled connection open before the CLI changes anything.
        Assert.NotNull(await store.VerifyPasswordAsync("alice@example.com", "first-password"));

        AssertOk(await tern.RunAsync("user", "disable", "alice@example.com"));
        Assert.Null(await store.VerifyPasswordAsync("alice@example.com", "first-password"));
        Assert.Equal(RecipientStatus.Disabled, (await store.ResolveRecipientAsync("alice@example.com")).Status);
        Assert.Contains("enabled:  no", (await tern.RunAsync("user", "show", "alice@example.com")).Output, StringComparison.Ordinal);

        AssertOk(await tern.RunAsync("user", "enable", "alice@example.com"));
        Assert.NotNull(await store.VerifyPasswordAsync("alice@example.com", "first-password"));

        AssertOk(await tern.RunWithInputAsync("pw\n", "user", "add", "bob@example.com", "--password-stdin"));
        Assert.NotNull(await store.FindUserAsync("bob@example.com"));
    }

    [Fact]
    public async Task User_remove_deletes_the_user_and_its_mail_unless_kept()
    {
        await AddDomainAndUserAsync();
        AssertOk(await tern.RunWithInputAsync("pw\n", "user", "add", "bob@example.com", "--password-stdin"));
        // The mail of account <id> lives under data/accounts/<id>/ (docs/ARCHITECTURE.md).
        var aliceMail = Path.Combine(tern.DataDirectory, "accounts", "1");
        var bobMail = Path.Combine(tern.DataDirectory, "accounts", "2");
        Directory.CreateDirectory(aliceMail);
        Directory.CreateDirectory(bobMail);

        var run = await tern.RunAsync("user", "remove", "alice@example.com");
        AssertOk(run);
        Assert.Equal("user alice@example.com removed with its mail", run.Output.Trim());
        Assert.False(Directory.Exists(aliceMail));

        var kept = await tern.RunAsync("user", "remove", "bob@example.com", "--keep-mail");
        AssertOk(kept);
        Assert.Equal("user bob@example.com removed; its mail (account 2) is kept", kept.Output.Trim());
        Assert.True(Directory.Exists(bobMail));

        Assert.Contains("no users", (await tern.RunAsync("user", "list")).Output, StringComparison.Ordinal);
        AssertOneLineError(await tern.RunAsync("user", "remove", "alice@example.com"), "no such user: alice@example.com");
    }

    [Fact]
    public async Task User_quota_accepts_sizes_with_suffixes()
    {
        await AddDomainAndUserAsync();
        AssertOk(await tern.RunAsync("user", "quota", "alice@example.com", "2G"));
        using var store = OpenStore();
        Assert.Equal(2L << 30, (await store.FindUserAsync("alice@example.com"))!.QuotaBytes);
        AssertOk(await tern.RunAsync("user", "quota", "alice@example.com", "unlimited"));
        Assert.Equal(0, (await store.FindUserAsync("alice@example.com"))!.QuotaBytes);
        AssertOneLineError(await tern.RunAsync("user", "quota", "alice@example.com", "lots"),
            "'lots' is not a size (examples: 1048576, 500K, 10M, 2G, unlimited)");
    }

    [Fact]
    public async Task Refused_user_operations_print_one_line_and_exit_1()
    {
        var run = await tern.RunWithInputAsync("pw\n", "user", "add", "alice@example.com", "--password-stdin");
        AssertOneLineError(run, "example.com is not a local domain; add it first with: tern domain add example.com");
        Assert.Equal(1, run.ExitCode);

        await AddDomainAndUserAsync();
        AssertOneLineError(await tern.RunWithInputAsync("pw\n", "user", "add", "ALICE@example.com", "--password-stdin"),
            "the user ALICE@example.com already exists");
        AssertOneLineError(await tern.RunWithInputAsync("pw\n", "user", "add", "bad address@example.com", "--password-stdin"),
            "'bad address@example.com': the local part contains a space or control character");
        AssertOneLineError(await tern.RunWithInputAsync("", "user", "add", "carol@example.com", "--password-stdin"),
            "no password on standard input");
        AssertOneLineError(await tern.RunAsync("user", "show", "nobody@example.com"), "no such user: nobody@example.com");
    }

    public void Dispose() => tern.Dispose();
}
