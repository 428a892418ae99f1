namespace Tern.Tests.Cli;

public sealed class DomainAliasCommandTests : IDisposable
{
    readonly CliSandbox tern = new();

    static void AssertOk(TernRun run)
    {
        Assert.True(run.ExitCode == 0, run.ToString());
    }

    [Fact]
    public async Task Domain_add_list_and_remove()
    {
        var add = await tern.RunAsync("domain", "add", "Example.COM");
        AssertOk(add);
        Assert.Equal("domain example.com added", add.Output.Trim());
        AssertOk(await tern.RunAsync("domain", "add", "other.org"));

        var list = await tern.RunAsync("domain", "list");
        AssertOk(list);
        var lines = list.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Matches(@"^example\.com\s+0\s+0\s+\d{4}-", lines[1]);
        Assert.StartsWith("other.org", lines[2], StringComparison.Ordinal);

        AssertOk(await tern.RunAsync("domain", "remove", "other.org"));
        Assert.DoesNotContain("other.org", (await tern.RunAsync("domain", "list")).Output, StringComparison.Ordinal);

        var again = await tern.RunAsync("domain", "add", "example.com");
        Assert.Equal(1, again.ExitCode);
        Assert.Equal("tern: the domain example.com already exists", Assert.Single(again.ErrorLines));
        var missing = await tern.RunAsync("domain", "remove", "nowhere.org");
        Assert.Equal("tern: no such domain: nowhere.org", Assert.Single(missing.ErrorLines));
    }

    [Fact]
    public async Task Domain_with_a_user_is_not_removed()
    {
        AssertOk(await tern.RunAsync("domain", "add", "example.com"));
        AssertOk(await tern.RunWithInputAsync("pw\n", "user", "add", "alice@example.com", "--password-stdin"));
        var run = await tern.RunAsync("domain", "remove", "example.com");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("tern: the domain example.com still has 1 user and 0 aliases; remove them first", Assert.Single(run.ErrorLines));
    }

    [Fact]
    public async Task Alias_add_list_and_remove_including_a_catch_all()
    {
        AssertOk(await tern.RunAsync("domain", "add", "example.com"));
        AssertOk(await tern.RunWithInputAsync("pw\n", "user", "add", "alice@example.com", "--password-stdin"));

        var add = await tern.RunAsync("alias", "add", "info@example.com", "alice@example.com", "partner@elsewhere.org");
        AssertOk(add);
        Assert.Equal("alias info@example.com -> alice@example.com, partner@elsewhere.org", add.Output.Trim());
        AssertOk(await tern.RunAsync("alias", "add", "*@example.com", "info@example.com"));
        AssertOk(await tern.RunAsync("alias", "add", "--", "@example.com", "alice@example.com"));

        var list = await tern.RunAsync("alias", "list");
        AssertOk(list);
        Assert.Contains(list.Output.Split('\n'), l => l.StartsWith("@example.com", StringComparison.Ordinal)
            && l.EndsWith("info@example.com, alice@example.com", StringComparison.Ordinal));
        Assert.Contains(list.Output.Split('\n'), l => l.StartsWith("info@example.com", StringComparison.Ordinal)
            && l.EndsWith("alice@example.com, partner@elsewhere.org", StringComparison.Ordinal));

        var show = await tern.RunAsync("user", "show", "alice@example.com");
        Assert.Contains("send as:  alice@example.com, info@example.com", show.Output, StringComparison.Ordinal);

        AssertOk(await tern.RunAsync("alias", "remove", "*@example.com"));
        AssertOk(await tern.RunAsync("alias", "remove", "info@example.com"));
        Assert.Equal("no aliases", (await tern.RunAsync("alias", "list")).Output.Trim());
        var missing = await tern.RunAsync("alias", "remove", "info@example.com");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("tern: no such alias: info@example.com", Assert.Single(missing.ErrorLines));
    }

    [Fact]
    public async Task Alias_of_a_domain_that_is_not_local_is_refused()
    {
        var run = await tern.RunAsync("alias", "add", "info@example.com", "someone@elsewhere.org");
        Assert.Equal(1, run.ExitCode);
        Assert.Equal("tern: example.com is not a local domain; add it first with: tern domain add example.com", Assert.Single(run.ErrorLines));
    }

    public void Dispose() => tern.Dispose();
}
