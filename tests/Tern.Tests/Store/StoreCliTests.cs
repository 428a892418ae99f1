using System.Text.RegularExpressions;
using Tern.Tests.Cli;

namespace Tern.Tests.Store;

/// <summary><c>tern mailbox import|export</c> and <c>tern store verify|reindex</c>, run as the real program.</summary>
public sealed partial class StoreCliTests : IDisposable
{
    readonly CliSandbox tern = new();

    public void Dispose() => tern.Dispose();

    [Fact]
    public async Task Import_export_verify_and_reindex_work_by_address()
    {
        Assert.Equal(0, (await tern.RunAsync("domain", "add", "example.com")).ExitCode);
        var added = await tern.RunWithInputAsync("pass-word-1\n", "user", "add", "alice@example.com", "--password-stdin");
        Assert.Equal(0, added.ExitCode);
        var id = IdPattern().Match(added.Output).Groups[1].Value;

        var mbox = Path.Combine(tern.WorkingDirectory, "old.mbox");
        await File.WriteAllTextAsync(mbox,
            "From someone@example.org Mon Sep 14 12:26:40 2020\nFrom: someone@example.org\nSubject: one\nStatus: RO\n\nfirst\n>From quoted\n\n" +
            "From someone@example.org Mon Sep 14 12:30:00 2020\nFrom: someone@example.org\nSubject: two\nX-Status: F\n\nsecond\n");
        var import = await tern.RunAsync("mailbox", "import", "--account", "alice@example.com", "--format", "mbox", mbox, "--mailbox", "Old");
        Assert.True(import.ExitCode == 0, import.ToString());
        Assert.Contains("2 message(s) imported", import.Output);
        var again = await tern.RunAsync("mailbox", "import", "--account", "alice@example.com", "--format", "mbox", mbox, "--mailbox", "Old");
        Assert.Contains("0 message(s) imported, 2 already present", again.Output);

        var verify = await tern.RunAsync("store", "verify", "alice@example.com");
        Assert.True(verify.ExitCode == 0, verify.ToString());
        Assert.Contains($"account {id}: ok", verify.Output);

        var accountDir = Path.Combine(tern.DataDirectory, "accounts", id);
        foreach (var suffix in new[] { "", "-wal", "-shm" })
            File.Delete(Path.Combine(accountDir, "index.db" + suffix));
        var broken = await tern.RunAsync("store", "verify", id);
        Assert.Equal(3, broken.ExitCode);
        Assert.Contains("index.db is missing", broken.Output);
        var reindex = await tern.RunAsync("store", "reindex", "alice@example.com");
        Assert.True(reindex.ExitCode == 0, reindex.ToString());
        Assert.Contains("2 message(s)", reindex.Output);

        var export = Path.Combine(tern.WorkingDirectory, "out");
        var exported = await tern.RunAsync("mailbox", "export", "--account", "alice@example.com", "--format", "maildir", export);
        Assert.True(exported.ExitCode == 0, exported.ToString());
        Assert.Contains("2 message(s) exported", exported.Output);
        var files = Directory.GetFiles(Path.Combine(export, ".Old", "cur"));
        Assert.Equal(2, files.Length);
        Assert.Contains(files, f => f.EndsWith(":2,S", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(":2,F", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Unknown_account_is_one_line_error()
    {
        var run = await tern.RunAsync("store", "reindex", "nobody@example.com");
        Assert.Equal(1, run.ExitCode);
        Assert.Single(run.ErrorLines);
        Assert.DoesNotContain("   at ", run.Error, StringComparison.Ordinal);
    }

    [GeneratedRegex(@"\(id (\d+)")]
    private static partial Regex IdPattern();
}
