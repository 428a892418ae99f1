using System.Net;
using System.Net.Sockets;
using Tern.Tests.Fixtures;
using Tern.Tests.Net;

namespace Tern.Tests.Hosting;

/// <summary><c>tern run</c> as a real subprocess: start-up, one-line errors for bad input, graceful stop.</summary>
public sealed class RunCommandTests : IDisposable
{
    readonly string data = Path.Combine(Path.GetTempPath(), "tern-run-" + Guid.NewGuid().ToString("N")[..12]);

    public void Dispose()
    {
        if (Directory.Exists(data))
            Directory.Delete(data, true);
    }

    static List<string> RunArgs(string data, params string[] sets)
    {
        var args = new List<string> { "run", "--data", data };
        foreach (var (key, value) in TernTestServer.DefaultSettings(data))
        {
            if (key == "DataDirectory") continue;
            args.Add("--set");
            args.Add($"{key}={value}");
        }
        foreach (var s in sets)
        {
            args.Add("--set");
            args.Add(s);
        }
        return args;
    }

    static void AssertOneLineError(TernProcess.Result result, params string[] mentions)
    {
        Assert.NotEqual(0, result.ExitCode);
        var lines = result.StandardError.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("tern: ", StringComparison.Ordinal));
        foreach (var m in mentions)
            Assert.Contains(m, error, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", result.StandardError + result.StandardOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_starts_every_listener_creates_the_data_folder_and_stops_gracefully_on_SIGTERM()
    {
        await using var server = await TernProcess.StartServerAsync(data);
        foreach (var role in new[] { "smtp-mx", "smtp-submission", "smtp-submissions" })
            Assert.NotEqual(0, server.PortOf(role));
        Assert.True(File.Exists(Path.Combine(data, "tls", "cert.pem")));
        for (int i = 0; i < 100 && !server.Output.Any(l => l.Contains("No users yet", StringComparison.Ordinal)); i++)
            await Task.Delay(50);
        Assert.Contains(server.Output, l => l.Contains("No users yet", StringComparison.Ordinal));
        // Nothing watches the data folder: a recursive inotify watch there (the host's default appsettings.json reload)
        // would wake the process on every queue and message file written.
        if (OperatingSystem.IsLinux())
            Assert.DoesNotContain(Directory.GetFiles($"/proc/{server.Id}/fd"), fd => new FileInfo(fd).LinkTarget == "anon_inode:inotify");

        await using var client = await LineClient.ConnectAsync(server.PortOf("smtp-mx"));
        Assert.StartsWith("220 ", await client.ReadLineAsync(), StringComparison.Ordinal);

        var exit = await server.TerminateAsync(TimeSpan.FromSeconds(20));
        Assert.Equal(0, exit);
        // The idle session was told why it is being closed (RFC 5321 3.8: 421).
        var goodbye = await client.ReadLineAsync();
        Assert.NotNull(goodbye);
        Assert.StartsWith("421", goodbye, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_port_in_use_is_one_line_naming_the_listener_and_its_setting()
    {
        using var busy = new TcpListener(IPAddress.Loopback, 0);
        busy.Start();
        var port = ((IPEndPoint)busy.LocalEndpoint).Port;
        var result = await TernProcess.RunAsync(RunArgs(data, $"Smtp:Mx:Listen:0=127.0.0.1:{port}"));
        AssertOneLineError(result, "smtp-mx", $"127.0.0.1:{port}", "Smtp:Mx:Listen", "in use");
    }

    [Fact]
    public async Task A_data_folder_that_cannot_be_written_is_one_line_naming_it()
    {
        Directory.CreateDirectory(data);
        var file = Path.Combine(data, "a-file");
        File.WriteAllText(file, "");
        var result = await TernProcess.RunAsync(RunArgs(Path.Combine(file, "data")));
        AssertOneLineError(result, "DataDirectory");
    }

    [Fact]
    public async Task An_unreadable_certificate_is_one_line_naming_the_file()
    {
        Directory.CreateDirectory(data);
        var cert = Path.Combine(data, "broken.pem");
        File.WriteAllText(cert, "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n");
        var result = await TernProcess.RunAsync(RunArgs(data, $"Tls:CertificateFile={cert}", $"Tls:KeyFile={cert}"));
        AssertOneLineError(result, cert);
    }

    [Fact]
    public async Task A_malformed_setting_is_one_line_naming_the_key()
    {
        var result = await TernProcess.RunAsync(RunArgs(data, "Smtp:MaxRecipients=lots"));
        AssertOneLineError(result, "Smtp:MaxRecipients", "'lots'");
    }

    [Fact]
    public async Task An_unknown_argument_is_refused()
    {
        var result = await TernProcess.RunAsync(["run", "--data", data, "--frobnicate"]);
        AssertOneLineError(result, "--frobnicate");
    }

    [Fact]
    public async Task Without_root_a_default_port_below_1024_moves_to_10000_plus_port_and_says_so()
    {
        // CI and developers run as root; drop to nobody to see what an unprivileged administrator sees.
        if (Environment.UserName != "root" || !File.Exists("/usr/bin/setpriv"))
            return;
        Directory.CreateDirectory(data);
        File.SetUnixFileMode(data, (UnixFileMode)0b111_111_111);
        var info = new System.Diagnostics.ProcessStartInfo("/usr/bin/setpriv")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = data,
        };
        foreach (var a in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", TernProcess.ExecutablePath, "run", "--data", Path.Combine(data, "d"),
            "--set", "Smtp:Submission:Enabled=false", "--set", "Smtp:Submissions:Enabled=false", "--set", "Pop3:Plain:Enabled=false",
            "--set", "Pop3:Tls:Enabled=false", "--set", "Imap:Plain:Enabled=false", "--set", "Imap:Tls:Enabled=false", "--set", "Relay:Enabled=false" })
            info.ArgumentList.Add(a);
        using var process = System.Diagnostics.Process.Start(info)!;
        var lines = new System.Collections.Concurrent.ConcurrentQueue<string>();
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lines.Enqueue(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            for (int i = 0; i < 300 && !lines.Any(l => l.Contains("started; serving", StringComparison.Ordinal)) && !process.HasExited; i++)
                await Task.Delay(100);
            Assert.Contains(lines, l => l.Contains("smtp-mx: may not bind port 25", StringComparison.Ordinal)
                && l.Contains("10025", StringComparison.Ordinal) && l.Contains("Smtp:Mx:Listen", StringComparison.Ordinal));
            Assert.Contains(lines, l => l.Contains("smtp-mx listening on", StringComparison.Ordinal) && l.Contains(":10025", StringComparison.Ordinal));
        }
        finally
        {
            if (!process.HasExited)
                process.Kill();
            await process.WaitForExitAsync();
        }
    }
}
