using Tern.Tests.Cli;
using Tern.Tests.Fixtures;
using Tern.Tests.Relay;
using Xunit.Abstractions;

namespace Tern.Tests.Dns;

/// <summary><c>tern dns</c> and <c>tern dns check</c>, run as the real program against the loopback DNS server.</summary>
public sealed class DnsCommandTests(ITestOutputHelper output)
{
    // An RSA-2048-sized key record, longer than one 255-octet TXT string.
    static readonly string DkimValue = "v=DKIM1; k=rsa; p=" + new string('A', 380) + "IDAQAB";

    static void WriteDkimKey(CliSandbox sandbox, string domain, string selector, string value)
    {
        var directory = Path.Combine(sandbox.DataDirectory, "dkim", domain);
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, selector + ".dns.txt"), value + "\n");
    }

    Dictionary<string, string> Lines(TernRun run)
    {
        output.WriteLine(run.Output);
        return ParseLines(run);
    }

    static Dictionary<string, string> ParseLines(TernRun run) =>
        run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.Length > 10 && l[..10].Trim() is "ok" or "missing" or "wrong" or "malformed" or "error")
            .ToDictionary(l => l[10..].Split(" ", 2)[0] + (l[10..].StartsWith("SRV ", StringComparison.Ordinal) || l[10..].StartsWith("DKIM ", StringComparison.Ordinal) || l[10..].StartsWith("MTA-STS policy", StringComparison.Ordinal) ? " " + l[10..].Split(' ', 3)[1] : ""), l => l);

    [Fact]
    public async Task Dns_prints_every_record_in_zone_form_with_the_configured_ports_and_the_DKIM_key()
    {
        using var sandbox = new CliSandbox();
        WriteDkimKey(sandbox, "half.test", "s2026", DkimValue);

        var run = await sandbox.RunAsync("dns", "half.test", "--set", "HostName=mail.half.test",
            "--set", "Smtp:Submission:Listen:0=*:2587", "--set", "Pop3:Plain:Enabled=false");

        Assert.True(run.ExitCode == 0, run.ToString());
        var output = run.Output;
        Assert.Contains("half.test.\tIN\tMX\t10 mail.half.test.", output, StringComparison.Ordinal);
        Assert.Contains("half.test.\tIN\tTXT\t\"v=spf1 mx -all\"", output, StringComparison.Ordinal);
        // Longer than 255 octets: split into character-strings inside parentheses.
        Assert.Contains("s2026._domainkey.half.test.\tIN\tTXT\t( \"v=DKIM1; k=rsa; p=AAAA", output, StringComparison.Ordinal);
        Assert.Contains("_dmarc.half.test.\tIN\tTXT\t\"v=DMARC1; p=quarantine; rua=mailto:postmaster@half.test\"", output, StringComparison.Ordinal);
        Assert.Matches(@"_mta-sts\.half\.test\.\tIN\tTXT\t""v=STSv1; id=[0-9a-f]{16}""", output);
        Assert.Contains(";   mx: mail.half.test", output, StringComparison.Ordinal);
        Assert.Contains("https://mta-sts.half.test/.well-known/mta-sts.txt", output, StringComparison.Ordinal);
        Assert.Contains("_smtp._tls.half.test.\tIN\tTXT\t\"v=TLSRPTv1; rua=mailto:postmaster@half.test\"", output, StringComparison.Ordinal);
        Assert.Contains("_submission._tcp.half.test.\tIN\tSRV\t0 1 2587 mail.half.test.", output, StringComparison.Ordinal);
        Assert.Contains("_submissions._tcp.half.test.\tIN\tSRV\t0 1 465 mail.half.test.", output, StringComparison.Ordinal);
        Assert.Contains("_imaps._tcp.half.test.\tIN\tSRV\t0 1 993 mail.half.test.", output, StringComparison.Ordinal);
        Assert.Contains("_pop3._tcp.half.test.\tIN\tSRV\t0 0 0 .", output, StringComparison.Ordinal);
        Assert.Contains("_pop3s._tcp.half.test.\tIN\tSRV\t0 1 995 mail.half.test.", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_without_a_DKIM_key_says_how_to_create_one()
    {
        using var sandbox = new CliSandbox();
        var run = await sandbox.RunAsync("dns", "nokey.test", "--set", "HostName=mail.nokey.test");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("create one with: tern dkim generate nokey.test", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Keys_made_by_tern_dkim_generate_are_printed_by_tern_dns()
    {
        using var sandbox = new CliSandbox();
        var generate = await sandbox.RunAsync("dkim", "generate", "keys.test", "--selector", "sel1", "--algorithm", "ed25519");
        Assert.True(generate.ExitCode == 0, generate.ToString());
        var published = File.ReadAllText(Path.Combine(sandbox.DataDirectory, "dkim", "keys.test", "sel1.dns.txt")).Trim();

        var run = await sandbox.RunAsync("dns", "keys.test", "--set", "HostName=mail.keys.test");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains($"sel1._domainkey.keys.test.\tIN\tTXT\t\"{published}\"", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_warns_when_the_host_name_is_not_fully_qualified()
    {
        using var sandbox = new CliSandbox();
        var run = await sandbox.RunAsync("dns", "example.test", "--set", "HostName=mailhost");
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("WARNING: HostName 'mailhost' is not a fully qualified name", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_check_reports_each_missing_wrong_and_malformed_record_of_a_half_configured_domain()
    {
        await using var dns = TestDnsServer.Start();
        dns.AddMx("half.test", 10, "mail.half.test").AddA("mail.half.test", "192.0.2.10")
            .AddTxt("half.test", "v=spf1 mx -all")
            .AddTxt("_dmarc.half.test", "v=DMARC1; p=sometimes")
            .AddSrv("_submission._tcp.half.test", 0, 1, 587, "mail.half.test")
            .AddSrv("_imaps._tcp.half.test", 0, 1, 1993, "mail.half.test")
            .Silence("_smtp._tls.half.test");
        using var sandbox = new CliSandbox();
        WriteDkimKey(sandbox, "half.test", "s1", DkimValue);

        var run = await sandbox.RunAsync("dns", "check", "half.test", "--set", "HostName=mail.half.test",
            "--set", $"Dns:Servers:0={dns.EndPoint}", "--set", "Dns:TimeoutSeconds=1", "--set", "Relay:MtaStsHttpsPort=9");

        Assert.True(run.ExitCode == 1, run.ToString());
        var lines = Lines(run);
        Assert.StartsWith("ok ", lines["MX"], StringComparison.Ordinal);
        Assert.StartsWith("ok ", lines["A/AAAA"], StringComparison.Ordinal);
        Assert.StartsWith("ok ", lines["SPF"], StringComparison.Ordinal);
        Assert.StartsWith("missing ", lines["DKIM s1"], StringComparison.Ordinal);
        Assert.Contains("s1._domainkey.half.test", lines["DKIM s1"], StringComparison.Ordinal);
        Assert.StartsWith("malformed ", lines["DMARC"], StringComparison.Ordinal);
        Assert.Contains("p=sometimes is not none, quarantine or reject", lines["DMARC"], StringComparison.Ordinal);
        Assert.StartsWith("missing ", lines["MTA-STS"], StringComparison.Ordinal);
        Assert.StartsWith("missing ", lines["MTA-STS policy"], StringComparison.Ordinal);
        Assert.StartsWith("error ", lines["TLS-RPT"], StringComparison.Ordinal);
        Assert.Contains("timeout", lines["TLS-RPT"], StringComparison.Ordinal);
        Assert.StartsWith("ok ", lines["SRV submission"], StringComparison.Ordinal);
        Assert.StartsWith("wrong ", lines["SRV imaps"], StringComparison.Ordinal);
        Assert.Contains("found port 1993 target mail.half.test.; expected 0 1 993 mail.half.test.", lines["SRV imaps"], StringComparison.Ordinal);
        Assert.StartsWith("missing ", lines["SRV submissions"], StringComparison.Ordinal);
        Assert.StartsWith("missing ", lines["SRV pop3s"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_check_passes_for_a_fully_configured_domain_with_its_MTA_STS_policy_served()
    {
        await using var fixture = TlsPolicyFixture.Start("full.test");
        fixture.Publish("full.test", "enforce", "x1", "mail.full.test");
        fixture.Dns.AddMx("full.test", 10, "mail.full.test").AddA("mail.full.test", "192.0.2.20")
            .AddTxt("full.test", "v=spf1 mx -all")
            .AddTxt("s1._domainkey.full.test", DkimValue)
            .AddTxt("_dmarc.full.test", "v=DMARC1; p=reject")
            .AddTxt("_smtp._tls.full.test", "v=TLSRPTv1; rua=mailto:tls@full.test");
        foreach (var (service, port) in new[] { ("submission", 587), ("submissions", 465), ("imap", 143), ("imaps", 993), ("pop3", 110), ("pop3s", 995) })
            fixture.Dns.AddSrv($"_{service}._tcp.full.test", 0, 1, port, "mail.full.test");
        using var sandbox = new CliSandbox();
        WriteDkimKey(sandbox, "full.test", "s1", DkimValue);

        var run = await sandbox.RunAsync("dns", "check", "full.test", "--set", "HostName=mail.full.test",
            "--set", $"Dns:Servers:0={fixture.Dns.EndPoint}", "--set", "Dns:TimeoutSeconds=1",
            "--set", $"Relay:MtaStsHttpsPort={fixture.Https.Port}", "--set", $"Relay:TestingTrustedCaFile={fixture.Pki.CaFile}");

        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.All(Lines(run).Values, l => Assert.StartsWith("ok ", l, StringComparison.Ordinal));
        Assert.Contains("all records are in place", run.Output, StringComparison.Ordinal);
        Assert.Contains("mode enforce, mx mail.full.test", run.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Dns_check_refuses_a_name_that_is_not_a_domain()
    {
        using var sandbox = new CliSandbox();
        var run = await sandbox.RunAsync("dns", "check", "not a domain");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("is not a domain name", run.Error, StringComparison.Ordinal);
    }
}
