using System.Text;
using Tern.Configuration;
using Tern.Store.FileSystem;
using Tern.Tests.Fixtures;
using Tern.Tests.Net;

namespace Tern.Tests.Smtp;

/// <summary>The real <c>tern run</c> process killed with SIGKILL: what was acknowledged is delivered after a restart,
/// what was not leaves nothing behind.</summary>
public abstract class SmtpCrashTestBase : IAsyncLifetime
{
    protected readonly string data = Path.Combine(Path.GetTempPath(), "tern-crash-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(data);
        Assert.Equal(0, (await TernProcess.RunAsync(["--data", data, "domain", "add", "example.com"])).ExitCode);
        var add = await TernProcess.RunAsync(["--data", data, "user", "add", "alice@example.com", "--password-stdin"], "secret-password\n");
        Assert.True(add.ExitCode == 0, add.StandardError);
    }

    public Task DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        return Task.CompletedTask;
    }

    protected string QueueDirectory => Path.Combine(data, "queue");

    protected async Task<List<string>> InboxAsync()
    {
        await using var store = new FileSystemMailStore(new TernOptions { DataDirectory = data });
        await using var account = await store.OpenAccountAsync(1);
        var inbox = await account.GetMailboxAsync("INBOX");
        var result = new List<string>();
        foreach (var m in await account.GetMessagesAsync(inbox!.Id))
        {
            await using var stream = await account.OpenMessageAsync(inbox.Id, m.Uid);
            result.Add(await new StreamReader(stream, Encoding.UTF8).ReadToEndAsync());
        }
        return result;
    }

    protected static async Task<LineClient> StartTransactionAsync(int port)
    {
        var client = await SmtpFixture.ConnectAsync(port);
        await client.SendRawAsync("MAIL FROM:<sender@remote.example>\r\nRCPT TO:<alice@example.com>\r\nDATA\r\n");
        await client.ExpectAsync("250");
        await client.ExpectAsync("250");
        await client.ExpectAsync("354");
        return client;
    }

    protected static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        for (int i = 0; i < 600 && !condition(); i++)
            await Task.Delay(25);
        Assert.True(condition(), what);
    }
}

public sealed class SmtpCrashAfterReplyTests : SmtpCrashTestBase
{
    [Fact]
    public async Task Message_acknowledged_right_before_sigkill_is_delivered_after_restart()
    {
        string id;
        await using (var server = await TernProcess.StartServerAsync(data))
        {
            await using var client = await StartTransactionAsync(server.PortOf("smtp-mx"));
            await client.SendRawAsync("Subject: survive\r\n\r\nacknowledged means durable\r\n.\r\n");
            var reply = await client.ExpectAsync("250 2.0.0 Ok: queued as ");
            await server.KillAsync();
            id = reply[(reply.LastIndexOf(' ') + 1)..];
        }
        await using (var server = await TernProcess.StartServerAsync(data))
        {
            await WaitUntilAsync(() => !Directory.EnumerateFiles(QueueDirectory).Any(), "the queue was not emptied after the restart");
            await server.TerminateAsync(TimeSpan.FromSeconds(30));
        }
        var message = Assert.Single(await InboxAsync());
        Assert.Contains("id " + id, message, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nacknowledged means durable\r\n", message, StringComparison.Ordinal);
    }
}

public sealed class SmtpCrashMidDataTests : SmtpCrashTestBase
{
    [Fact]
    public async Task Sigkill_mid_data_leaves_no_message_and_no_queue_garbage()
    {
        await using (var server = await TernProcess.StartServerAsync(data))
        {
            await using var client = await StartTransactionAsync(server.PortOf("smtp-mx"));
            await client.SendRawAsync("Subject: half\r\n\r\n" + new string('x', 200_000) + "\r\n");
            await WaitUntilAsync(() => Directory.EnumerateFiles(QueueDirectory, "*.tmp").Any(), "no temp file while receiving");
            await server.KillAsync();
        }
        Assert.NotEmpty(Directory.EnumerateFiles(QueueDirectory, "*.tmp")); // the killed process could not clean up
        await using (var server = await TernProcess.StartServerAsync(data))
        {
            Assert.Empty(Directory.EnumerateFiles(QueueDirectory));
            await Task.Delay(300); // a delivery pass would have run by now
            await server.TerminateAsync(TimeSpan.FromSeconds(30));
        }
        Assert.Empty(await InboxAsync());
    }
}
