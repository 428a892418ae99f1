using Tern.Configuration;

namespace Tern.Tests.Configuration;

public sealed class ConfigurationTests
{
    static string RepoFile(string name)
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Tern.sln")))
            dir = dir.Parent;
        return Path.Combine(dir?.FullName ?? throw new InvalidOperationException("repo root not found"), name);
    }

    static ConfigurationException BindFails(params string[] sets) =>
        Assert.Throws<ConfigurationException>(() => TernConfiguration.Bind(TernConfiguration.Build(null, "/tmp/tern-config-test", sets)));

    [Fact]
    public void Defaults_bind_without_a_file_and_use_the_standard_ports()
    {
        var options = TernConfiguration.Bind(TernConfiguration.Build(null, null));
        Assert.Equal("./data", options.DataDirectory);
        Assert.Equal(["*:25"], options.Smtp.Mx.Listen);
        Assert.Equal(["*:587"], options.Smtp.Submission.Listen);
        Assert.Equal(["*:993"], options.Imap.Tls.Listen);
        Assert.Equal(300, options.Smtp.IdleTimeoutSeconds);
        Assert.Equal(600, options.Pop3.IdleTimeoutSeconds);
        Assert.Equal(1800, options.Imap.IdleTimeoutSeconds);
    }

    [Fact]
    public void The_shipped_example_file_is_valid_and_complete()
    {
        var options = TernConfiguration.Bind(TernConfiguration.Build(RepoFile("tern.example.json"), "/tmp/tern-config-test"));
        Assert.Equal("mail.example.com", options.HostName);
        Assert.Equal(5, options.Relay.IntervalSeconds);
    }

    [Fact]
    public void Set_overrides_replace_lists_and_values()
    {
        var options = TernConfiguration.Bind(TernConfiguration.Build(null, "/tmp/d",
            ["Smtp:Mx:Listen:0=127.0.0.1:2525", "Smtp:MaxRecipients=7", "Pop3:Plain:Enabled=false"]));
        Assert.Equal(["127.0.0.1:2525"], options.Smtp.Mx.Listen);
        Assert.Equal(7, options.Smtp.MaxRecipients);
        Assert.False(options.Pop3.Plain.Enabled);
        Assert.Equal("/tmp/d", options.DataDirectory);
    }

    [Fact]
    public void Environment_variables_override_the_file()
    {
        Environment.SetEnvironmentVariable("TERN_Imap__MaxErrors", "33");
        try
        {
            var options = TernConfiguration.Bind(TernConfiguration.Build(RepoFile("tern.example.json"), "/tmp/x"));
            Assert.Equal(33, options.Imap.MaxErrors);
        }
        finally
        {
            Environment.SetEnvironmentVariable("TERN_Imap__MaxErrors", null);
        }
    }

    [Fact]
    public void A_malformed_number_names_its_key()
    {
        var ex = BindFails("Smtp:MaxMessageSize=big");
        var problem = Assert.Single(ex.Problems);
        Assert.Equal("Smtp:MaxMessageSize", problem.Key);
        Assert.Contains("'big'", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_key_is_reported_not_ignored()
    {
        var ex = BindFails("Smtp:MaxMesageSize=10");
        Assert.Equal("Smtp:MaxMesageSize", Assert.Single(ex.Problems).Key);
    }

    [Fact]
    public void Every_invalid_value_is_reported_with_its_key()
    {
        var ex = BindFails(
            "Smtp:MaxRecipients=0", "Imap:MaxLineLength=10", "Smtp:BareLineEndings=Maybe",
            "Smtp:Mx:Listen:0=nonsense", "Dns:Servers:0=not-an-ip", "Log:Level=Loud", "HostName=bad host");
        var keys = ex.Problems.Select(p => p.Key).ToHashSet();
        Assert.Contains("Smtp:MaxRecipients", keys);
        Assert.Contains("Imap:MaxLineLength", keys);
        Assert.Contains("Smtp:BareLineEndings", keys);
        Assert.Contains("Smtp:Mx:Listen:0", keys);
        Assert.Contains("Dns:Servers:0", keys);
        Assert.Contains("Log:Level", keys);
        Assert.Contains("HostName", keys);
    }

    [Fact]
    public void A_missing_certificate_file_is_named()
    {
        var ex = BindFails("Tls:CertificateFile=/nonexistent/cert.pem");
        Assert.Contains(ex.Problems, p => p.Key == "Tls:CertificateFile" && p.Message.Contains("/nonexistent/cert.pem", StringComparison.Ordinal));
    }

    [Fact]
    public void A_missing_config_file_is_an_error()
    {
        var ex = Assert.Throws<ConfigurationException>(() => TernConfiguration.Build("/nonexistent/tern.json", null));
        Assert.Equal("--config", Assert.Single(ex.Problems).Key);
    }

    [Fact]
    public void Malformed_json_is_an_error_naming_the_file()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "{ \"Smtp\": { ");
            var ex = Assert.Throws<ConfigurationException>(() => TernConfiguration.Build(file, null));
            Assert.Equal(file, Assert.Single(ex.Problems).Key);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
