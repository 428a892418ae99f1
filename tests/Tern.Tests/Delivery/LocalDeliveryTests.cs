using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Tern.Queue;
using Tern.Store;
using Tern.Tests.Fixtures;
using Tern.Tests.Smtp;

namespace Tern.Tests.Delivery;

public sealed class LocalDeliveryTests
{
    internal static async Task<List<string>> InboxAsync(TernTestServer server, string address, int expected, TimeSpan? wait = null)
    {
        var user = await server.Accounts.FindUserAsync(address);
        var store = server.Services.GetRequiredService<IMailStore>();
        var deadline = DateTime.UtcNow + (wait ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            await using var account = await store.OpenAccountAsync(user!.Id);
            var inbox = await account.GetMailboxAsync("INBOX");
            var messages = await account.GetMessagesAsync(inbox!.Id);
            if (messages.Count >= expected || DateTime.UtcNow > deadline)
            {
                var result = new List<string>();
                foreach (var m in messages)
                {
                    await using var stream = await account.OpenMessageAsync(inbox.Id, m.Uid);
                    using var reader = new StreamReader(stream, Encoding.UTF8);
                    result.Add(await reader.ReadToEndAsync());
                }
                return result;
            }
            await Task.Delay(25);
        }
    }

    static async Task<string> SendAsync(TernTestServer server, string from, string body, params string[] to)
    {
        await using var client = await SmtpFixture.ConnectAsync(server.SmtpPort);
        await client.SendLineAsync($"MAIL FROM:<{from}>");
        await client.ExpectAsync("250");
        foreach (var rcpt in to)
        {
            await client.SendLineAsync($"RCPT TO:<{rcpt}>");
            await client.ExpectAsync("250");
        }
        await client.SendLineAsync("DATA");
        await client.ExpectAsync("354");
        await client.SendRawAsync(body + ".\r\n");
        var reply = await client.ExpectAsync("250 2.0.0");
        return reply[(reply.LastIndexOf(' ') + 1)..];
    }

    static async Task WaitForQueueAsync(TernTestServer server, Func<List<string>, bool> done)
    {
        for (int i = 0; i < 400; i++)
        {
            if (done([.. await server.Queue().ListAsync()]))
                return;
            await Task.Delay(25);
        }
        Assert.Fail("queue never reached the expected state: " + string.Join(",", await server.Queue().ListAsync()));
    }

    [Fact]
    public async Task Message_is_delivered_to_inbox_with_return_path_and_delivered_to_and_leaves_the_queue()
    {
        await using var server = await SmtpFixture.StartAsync(delivery: true);
        var id = await SendAsync(server, "sender@remote.example", "Subject: hi\r\n\r\nhello\r\n", "alice@example.com");
        var inbox = await InboxAsync(server, "alice@example.com", 1);
        var message = Assert.Single(inbox);
        Assert.StartsWith("Return-Path: <sender@remote.example>\r\nDelivered-To: alice@example.com\r\nReceived: from client.example", message, StringComparison.Ordinal);
        Assert.Contains("id " + id, message, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nhello\r\n", message, StringComparison.Ordinal);
        await WaitForQueueAsync(server, _ => Directory.GetFiles(server.Queue().QueueDirectory).Length == 0);
    }

    [Fact]
    public async Task Alias_expands_once_per_user_and_remote_targets_stay_for_the_relay()
    {
        await using var server = await SmtpFixture.StartAsync(delivery: true);
        await server.Accounts.AddAliasAsync("list@example.com", ["alice@example.com", "bob@example.com", "friend@remote.example"]);
        var id = await SendAsync(server, "sender@remote.example", "Subject: team\r\n\r\nx\r\n", "list@example.com", "alice@example.com");
        Assert.Single(await InboxAsync(server, "alice@example.com", 1));
        var bob = Assert.Single(await InboxAsync(server, "bob@example.com", 1));
        Assert.Contains("Delivered-To: bob@example.com\r\n", bob, StringComparison.Ordinal);

        QueueEnvelope? env = null;
        for (int i = 0; i < 200; i++)
        {
            env = await server.Queue().ReadEnvelopeAsync(id);
            if (env!.Recipients.Count == 3 && env.Recipients.Take(2).All(r => r.State == RecipientState.Delivered))
                break;
            await Task.Delay(25);
        }
        Assert.Equal(["list@example.com", "alice@example.com", "friend@remote.example"], env!.Recipients.Select(r => r.Address));
        Assert.Equal(RecipientState.Pending, env.Recipients[2].State);
        Assert.Equal("list@example.com", env.Recipients[2].ExpandedFrom);
        // alice was reached twice (directly and through the alias) and has exactly one copy
        await Task.Delay(200);
        Assert.Single(await InboxAsync(server, "alice@example.com", 1));
    }

    [Fact]
    public async Task Over_quota_recipient_is_deferred_with_a_reason_and_delivered_once_there_is_room()
    {
        var data = Path.Combine(Path.GetTempPath(), "tern-quota-" + Guid.NewGuid().ToString("N")[..12]);
        var settings = new Dictionary<string, string?> { ["Relay:FirstRetryDelaySeconds"] = "1" };
        try
        {
            string id;
            await using (var server = await SmtpFixture.StartAsync(settings, delivery: true, dataDirectory: data))
            {
                await server.Accounts.SetQuotaAsync("bob@example.com", 10);
                id = await SendAsync(server, "sender@remote.example", "Subject: big\r\n\r\n" + new string('x', 500) + "\r\n", "bob@example.com", "alice@example.com");
                Assert.Single(await InboxAsync(server, "alice@example.com", 1));
                QueueEnvelope? env = null;
                // Deferred, then retried (attempts grow) while the quota stays too small.
                for (int i = 0; i < 400 && !(env?.Recipients[0].Attempts >= 2); i++)
                {
                    env = await server.Queue().ReadEnvelopeAsync(id);
                    await Task.Delay(25);
                }
                Assert.Equal(RecipientState.Deferred, env!.Recipients[0].State);
                Assert.True(env.Recipients[0].Attempts >= 2);
                Assert.StartsWith("452 4.2.2", env.Recipients[0].Reason, StringComparison.Ordinal);
                Assert.NotNull(env.Recipients[0].NextAttempt);
                Assert.Equal(RecipientState.Delivered, env.Recipients[1].State);
                await server.Accounts.SetQuotaAsync("bob@example.com", 0);
            }
            // After a restart (the store reads the new quota) the deferred copy goes in, and alice gets no second one.
            await using (var server = await SmtpFixture.StartAsync(settings, delivery: true, dataDirectory: data))
            {
                Assert.Single(await InboxAsync(server, "bob@example.com", 1, TimeSpan.FromSeconds(15)));
                await WaitForQueueAsync(server, ids => ids.Count == 0);
                await Task.Delay(100);
                Assert.Single(await InboxAsync(server, "alice@example.com", 1));
            }
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }

    [Fact]
    public async Task Recipient_gone_before_delivery_moves_the_message_to_bad_with_the_reason()
    {
        await using var server = await SmtpFixture.StartAsync(delivery: true);
        var queue = server.Queue();
        var id = await queue.EnqueueAsync(new MemoryStream("Subject: x\r\n\r\nx\r\n"u8.ToArray()), new QueueEnvelope
        {
            Arrived = DateTimeOffset.UtcNow,
            Sender = new QueueSender { Address = "a@remote.example" },
            Recipients = [new QueueRecipient { Address = "gone@example.com" }],
        });
        // The .reason is written first, then the .msg and the .env are moved: wait for the last of them.
        for (int i = 0; i < 200 && !File.Exists(Path.Combine(queue.BadDirectory, id + ".env")); i++)
            await Task.Delay(25);
        Assert.Contains("<gone@example.com>: 550 5.1.1", await File.ReadAllTextAsync(Path.Combine(queue.BadDirectory, id + ".reason")), StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".msg")));
        // The remote sender's bounce waits in the queue for the relay (off in this test).
        var bounceId = Assert.Single(await queue.ListAsync());
        var bounce = await queue.ReadEnvelopeAsync(bounceId);
        Assert.Equal("", bounce!.Sender.Address);
        Assert.Equal("a@remote.example", Assert.Single(bounce.Recipients).Address);
    }

    [Fact]
    public async Task A_deferral_past_the_queue_lifetime_fails_bounces_and_goes_to_bad()
    {
        await using var server = await SmtpFixture.StartAsync(
            new() { ["Relay:MaxQueueLifetimeSeconds"] = "1", ["Relay:FirstRetryDelaySeconds"] = "1", ["Relay:MaxRetryDelaySeconds"] = "1" },
            delivery: true);
        await server.Accounts.SetQuotaAsync("alice@example.com", 10);
        var queue = server.Queue();
        var id = await queue.EnqueueAsync(new MemoryStream("From: bob@example.com\r\nSubject: too big\r\n\r\nmore than ten octets\r\n"u8.ToArray()), new QueueEnvelope
        {
            Arrived = DateTimeOffset.UtcNow.AddMinutes(-5),
            Sender = new QueueSender { Address = "bob@example.com" },
            Recipients = [new QueueRecipient { Address = "alice@example.com" }],
        });
        var report = Assert.Single(await InboxAsync(server, "bob@example.com", 1));
        Assert.Contains("gave up after the queue lifetime", report, StringComparison.Ordinal);
        Assert.Contains("552 5.2.2", report, StringComparison.Ordinal);
        // The .reason is written first, then the .msg and the .env are moved: wait for the last of them.
        for (int i = 0; i < 200 && !File.Exists(Path.Combine(queue.BadDirectory, id + ".env")); i++)
            await Task.Delay(25);
        Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".msg")));
    }

    [Fact]
    public async Task A_local_sender_gets_a_delivery_status_notification_for_a_local_failure()
    {
        await using var server = await SmtpFixture.StartAsync(delivery: true);
        var queue = server.Queue();
        await queue.EnqueueAsync(new MemoryStream("From: bob@example.com\r\nSubject: to nobody\r\n\r\nx\r\n"u8.ToArray()), new QueueEnvelope
        {
            Arrived = DateTimeOffset.UtcNow,
            Sender = new QueueSender { Address = "bob@example.com" },
            Recipients = [new QueueRecipient { Address = "gone@example.com" }],
        });
        var report = Assert.Single(await InboxAsync(server, "bob@example.com", 1));
        var message = MimeKit.MimeMessage.Load(new MemoryStream(System.Text.Encoding.UTF8.GetBytes(report)));
        var multipart = Assert.IsType<MimeKit.MultipartReport>(message.Body);
        Assert.Equal("delivery-status", multipart.ReportType);
        Assert.Contains("gone@example.com", report, StringComparison.Ordinal);
        Assert.Contains("5.1.1", report, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Message_already_delivered_to_the_mailbox_is_a_loop_and_fails()
    {
        await using var server = await SmtpFixture.StartAsync(delivery: true);
        var id = await SendAsync(server, "a@remote.example", "Delivered-To: alice@example.com\r\nSubject: loop\r\n\r\nx\r\n", "alice@example.com");
        var reason = Path.Combine(server.Queue().BadDirectory, id + ".reason");
        for (int i = 0; i < 200 && !File.Exists(reason); i++)
            await Task.Delay(25);
        Assert.Contains("5.4.6", await File.ReadAllTextAsync(reason), StringComparison.Ordinal);
        Assert.Empty(await InboxAsync(server, "alice@example.com", 0));
    }
}
