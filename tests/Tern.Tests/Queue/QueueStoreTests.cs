using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tern.Configuration;
using Tern.Queue;

namespace Tern.Tests.Queue;

public sealed class QueueStoreTests : IDisposable
{
    readonly string data = Path.Combine(Path.GetTempPath(), "tern-queue-" + Guid.NewGuid().ToString("N")[..12]);
    readonly QueueStore queue;

    public QueueStoreTests()
    {
        queue = new QueueStore(new TernOptions { DataDirectory = data }, NullLogger<QueueStore>.Instance);
    }

    public void Dispose()
    {
        try { Directory.Delete(data, recursive: true); } catch (IOException) { }
    }

    static QueueEnvelope Envelope(params string[] recipients) => new()
    {
        Arrived = DateTimeOffset.UtcNow,
        Sender = new QueueSender { Address = "alice@example.com", Body = "8BITMIME", Ret = "HDRS", EnvId = "env-1" },
        Recipients = recipients.Select(r => new QueueRecipient { Address = r, Notify = ["FAILURE"], OriginalRecipient = "rfc822;" + r }).ToList(),
        Client = new QueueClient { Address = "192.0.2.1", Helo = "client.example", Tls = "TLSv1.3 X" },
    };

    [Fact]
    public void Queue_ids_are_unique_valid_and_sort_by_time()
    {
        var ids = Enumerable.Range(0, 10_000).Select(_ => QueueId.New()).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.All(ids, id => Assert.True(QueueId.IsValid(id)));
        var early = QueueId.New(DateTimeOffset.UtcNow.AddSeconds(-5));
        Assert.True(string.CompareOrdinal(early, QueueId.New()) < 0);
        Assert.False(QueueId.IsValid("../../etc/passwd"));
        Assert.False(QueueId.IsValid(ids[0].ToLowerInvariant()));
    }

    [Fact]
    public async Task Enqueued_entry_has_msg_and_env_and_round_trips()
    {
        string? signalled = null;
        queue.Enqueued += id => signalled = id;
        var id = await queue.EnqueueAsync(new MemoryStream("Subject: hi\r\n\r\nbody\r\n"u8.ToArray()), Envelope("bob@example.org"));
        Assert.Equal(id, signalled);
        Assert.True(File.Exists(Path.Combine(queue.QueueDirectory, id + ".msg")));
        Assert.True(File.Exists(Path.Combine(queue.QueueDirectory, id + ".env")));
        Assert.Empty(Directory.GetFiles(queue.QueueDirectory, "*.tmp"));
        Assert.Equal([id], await queue.ListAsync());

        var env = await queue.ReadEnvelopeAsync(id);
        Assert.NotNull(env);
        Assert.Equal(1, env.Version);
        Assert.Equal("alice@example.com", env.Sender.Address);
        Assert.Equal("HDRS", env.Sender.Ret);
        Assert.Equal("rfc822;bob@example.org", env.Recipients[0].OriginalRecipient);
        Assert.Equal(RecipientState.Pending, env.Recipients[0].State);
        Assert.Equal(21, env.Size);
        var json = await File.ReadAllTextAsync(Path.Combine(queue.QueueDirectory, id + ".env"));
        Assert.Contains("\"state\": \"Pending\"", json, StringComparison.Ordinal);

        await using var msg = queue.OpenMessage(id);
        using var reader = new StreamReader(msg);
        Assert.Equal("Subject: hi\r\n\r\nbody\r\n", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Writer_disposed_without_commit_leaves_nothing()
    {
        await using (var writer = queue.CreateMessageWriter())
            await writer.WriteAsync(Encoding.ASCII.GetBytes("partial"), default);
        Assert.Empty(Directory.GetFiles(queue.QueueDirectory));
        Assert.Empty(await queue.ListAsync());
    }

    [Fact]
    public async Task Update_is_atomic_per_recipient_and_finish_completes_the_entry()
    {
        var id = await queue.EnqueueAsync(new MemoryStream("x\r\n"u8.ToArray()), Envelope("a@x.test", "b@y.test"));
        // Two runners updating different recipients at once must not lose either change.
        await Task.WhenAll(
            queue.UpdateEnvelopeAsync(id, e => { e.Recipients[0].State = RecipientState.Delivered; return true; }),
            queue.UpdateEnvelopeAsync(id, e => { e.Recipients[1].State = RecipientState.Deferred; e.Recipients[1].Reason = "452 later"; return true; }));
        var env = await queue.ReadEnvelopeAsync(id);
        Assert.Equal(RecipientState.Delivered, env!.Recipients[0].State);
        Assert.Equal(RecipientState.Deferred, env.Recipients[1].State);
        Assert.False(await queue.FinishIfDoneAsync(id));

        await queue.UpdateEnvelopeAsync(id, e => { e.Recipients[1].State = RecipientState.Delivered; return true; });
        Assert.True(await queue.FinishIfDoneAsync(id));
        Assert.Empty(Directory.GetFiles(queue.QueueDirectory));
        Assert.Null(await queue.ReadEnvelopeAsync(id));
    }

    [Fact]
    public async Task Failed_recipient_moves_the_entry_to_bad_with_its_reason()
    {
        var id = await queue.EnqueueAsync(new MemoryStream("x\r\n"u8.ToArray()), Envelope("a@x.test"));
        await queue.UpdateEnvelopeAsync(id, e => { e.Recipients[0].State = RecipientState.Failed; e.Recipients[0].Reason = "550 5.1.1 no such user"; return true; });
        Assert.True(await queue.FinishIfDoneAsync(id));
        Assert.Empty(Directory.GetFiles(queue.QueueDirectory));
        Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".msg")));
        Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".env")));
        Assert.Contains("550 5.1.1 no such user", await File.ReadAllTextAsync(Path.Combine(queue.BadDirectory, id + ".reason")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unknown_envelope_version_is_refused()
    {
        var id = await queue.EnqueueAsync(new MemoryStream("x\r\n"u8.ToArray()), Envelope("a@x.test"));
        var path = Path.Combine(queue.QueueDirectory, id + ".env");
        await File.WriteAllTextAsync(path, (await File.ReadAllTextAsync(path)).Replace("\"version\": 1", "\"version\": 99", StringComparison.Ordinal));
        await Assert.ThrowsAsync<InvalidDataException>(() => queue.ReadEnvelopeAsync(id));
    }

    [Fact]
    public async Task Recovery_removes_temp_files_and_orphan_messages_but_keeps_entries()
    {
        var id = await queue.EnqueueAsync(new MemoryStream("x\r\n"u8.ToArray()), Envelope("a@x.test"));
        var orphan = Path.Combine(queue.QueueDirectory, QueueId.New() + ".msg");
        var temp = Path.Combine(queue.QueueDirectory, QueueId.New() + ".msg.tmp");
        await File.WriteAllTextAsync(orphan, "half");
        await File.WriteAllTextAsync(temp, "half");
        var old = DateTime.UtcNow.AddDays(-1);
        File.SetLastWriteTimeUtc(orphan, old);
        File.SetLastWriteTimeUtc(temp, old);
        await queue.RecoverAsync();
        Assert.False(File.Exists(orphan));
        Assert.False(File.Exists(temp));
        Assert.Equal([id], await queue.ListAsync());
    }

    [Fact]
    public async Task Recovery_moves_an_entry_whose_message_is_shorter_than_its_envelope_says_to_bad()
    {
        // What a machine crash during the commit may leave on XFS or btrfs: the names, not all the octets.
        var intact = await queue.EnqueueAsync(new MemoryStream("Subject: kept\r\n\r\nkept\r\n"u8.ToArray()), Envelope("a@x.test"));
        var cut = await queue.EnqueueAsync(new MemoryStream("Subject: cut\r\n\r\nthis part was lost\r\n"u8.ToArray()), Envelope("b@x.test"));
        var emptied = await queue.EnqueueAsync(new MemoryStream("Subject: gone\r\n\r\nall lost\r\n"u8.ToArray()), Envelope("c@x.test"));
        await File.WriteAllTextAsync(Path.Combine(queue.QueueDirectory, cut + ".msg"), "Subject: cut\r\n");
        await File.WriteAllBytesAsync(Path.Combine(queue.QueueDirectory, emptied + ".msg"), []);
        var old = DateTime.UtcNow.AddDays(-1);
        foreach (var file in Directory.GetFiles(queue.QueueDirectory))
            File.SetLastWriteTimeUtc(file, old);

        await queue.RecoverAsync();

        Assert.Equal([intact], await queue.ListAsync());
        foreach (var id in new[] { cut, emptied })
        {
            Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".msg")));
            Assert.True(File.Exists(Path.Combine(queue.BadDirectory, id + ".env")));
            Assert.Contains("incomplete after a crash", await File.ReadAllTextAsync(Path.Combine(queue.BadDirectory, id + ".reason")));
        }
    }
}
