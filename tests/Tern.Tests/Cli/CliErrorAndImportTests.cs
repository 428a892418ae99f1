namespace Tern.Tests.Cli;

public sealed class CliErrorAndImportTests : IDisposable
{
    readonly CliSandbox tern = new();

    static void AssertNoStackTrace(TernRun run)
    {
        Assert.DoesNotContain("   at ", run.Output + run.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("Exception", run.Output + run.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("user", "add", "alice@example.com", "--frobnicate")]
    [InlineData("domain", "add")]
    public async Task Unknown_or_missing_arguments_exit_non_zero_with_a_one_line_error(params string[] args)
    {
        var run = await tern.RunAsync(args);
        Assert.NotEqual(0, run.ExitCode);
        Assert.Single(run.ErrorLines);
        AssertNoStackTrace(run);
    }

    [Fact]
    public async Task A_password_option_on_the_command_line_is_not_accepted()
    {
        var run = await tern.RunAsync("user", "add", "alice@example.com", "--password", "secret");
        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("--password", run.Error, StringComparison.Ordinal);
        AssertNoStackTrace(run);
        Assert.False(File.Exists(Path.Combine(tern.DataDirectory, "tern.db")));
    }

    [Theory]
    [InlineData("user", "import-ini")]
    [InlineData("alias", "add")]
    public async Task Commands_explain_themselves_with_help(params string[] command)
    {
        var run = await tern.RunAsync([.. command, "--help"]);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("Description:", run.Output, StringComparison.Ordinal);
        Assert.Contains("Usage:", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Import_ini_imports_the_demo_users_and_skips_existing_ones()
    {
        var ini = Path.Combine(tern.WorkingDirectory, "settings.ini");
        await File.WriteAllTextAsync(ini, """
            [SMTP]
            Port=25
            RelayInterval=5000
            [USERS]
            Count=3
            [USER0]
            UserName=alice
            Password=alice-pass
            Email=alice@example.com
            [USER1]
            UserName=bob
            Password=bob pass with spaces
            Email=Bob@Example.ORG
            [USER2]
            UserName=carol
            Password=carol-pass
            Email=carol@example.com
            """.Replace("\n", "\r\n", StringComparison.Ordinal));

        var first = await tern.RunAsync("user", "import-ini", ini);
        Assert.True(first.ExitCode == 0, first.ToString());
        Assert.Contains("3 imported, 0 skipped (already there), 0 failed; domains added: example.com, example.org", first.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("pass", first.Output, StringComparison.Ordinal);

        var second = await tern.RunAsync("user", "import-ini", ini);
        Assert.True(second.ExitCode == 0, second.ToString());
        Assert.Contains("alice@example.com: already exists, skipped", second.Output, StringComparison.Ordinal);
        Assert.Contains("0 imported, 3 skipped (already there), 0 failed", second.Output, StringComparison.Ordinal);

        var options = new Tern.Configuration.TernOptions { DataDirectory = tern.DataDirectory };
        using var store = new Tern.Accounts.SqliteAccountStore(options, new Tern.Accounts.PasswordHasher(options));
        Assert.NotNull(await store.VerifyPasswordAsync("bob@example.org", "bob pass with spaces"));
        Assert.NotNull(await store.VerifyPasswordAsync("carol@example.com", "carol-pass"));
        Assert.Equal(3, (await store.ListUsersAsync()).Count);
    }

    [Fact]
    public async Task Import_ini_of_a_missing_file_or_one_without_users_is_one_line_error()
    {
        var missing = await tern.RunAsync("user", "import-ini", "nope.ini");
        Assert.Equal(1, missing.ExitCode);
        Assert.StartsWith("tern: file not found: ", Assert.Single(missing.ErrorLines), StringComparison.Ordinal);

        var ini = Path.Combine(tern.WorkingDirectory, "empty.ini");
        await File.WriteAllTextAsync(ini, "[SMTP]\nPort=25\n");
        var empty = await tern.RunAsync("user", "import-ini", ini);
        Assert.Equal(1, empty.ExitCode);
        Assert.EndsWith("has no [USERS] section with a Count key", Assert.Single(empty.ErrorLines), StringComparison.Ordinal);
        AssertNoStackTrace(empty);
    }

    public void Dispose() => tern.Dispose();
}
