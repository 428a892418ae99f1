using Tern.Tests.Cli;

namespace Tern.Tests.MailAuth;

/// <summary><c>tern dkim generate|list|retire</c> as a user runs them (the real executable).</summary>
public sealed class DkimCliTests
{
    [Fact]
    public async Task Generate_list_and_retire_keys()
    {
        using var sandbox = new CliSandbox();
        var rsa = await sandbox.RunAsync("dkim", "generate", "example.org");
        Assert.True(rsa.ExitCode == 0, rsa.ToString());
        var ed = await sandbox.RunAsync("dkim", "generate", "example.org", "--algorithm", "ed25519", "--selector", "edkey");
        Assert.True(ed.ExitCode == 0, ed.ToString());
        Assert.Contains("edkey._domainkey.example.org. IN TXT \"v=DKIM1; k=ed25519; p=", ed.Output, StringComparison.Ordinal);
        var year = DateTime.UtcNow.Year;
        Assert.True(File.Exists(Path.Combine(sandbox.DataDirectory, "dkim", "example.org", $"rsa{year}a.private.pem")));
        Assert.True(File.Exists(Path.Combine(sandbox.DataDirectory, "dkim", "example.org", "edkey.dns.txt")));

        var list = await sandbox.RunAsync("dkim", "list");
        Assert.Contains($"rsa{year}a", list.Output, StringComparison.Ordinal);
        Assert.Contains("signing", list.Output, StringComparison.Ordinal);

        var retire = await sandbox.RunAsync("dkim", "retire", "example.org", "edkey");
        Assert.True(retire.ExitCode == 0, retire.ToString());
        Assert.Contains("retired", (await sandbox.RunAsync("dkim", "list", "example.org")).Output, StringComparison.Ordinal);

        var bad = await sandbox.RunAsync("dkim", "generate", "not a domain");
        Assert.Equal(1, bad.ExitCode);
        Assert.StartsWith("tern: ", bad.Error, StringComparison.Ordinal);
    }
}
