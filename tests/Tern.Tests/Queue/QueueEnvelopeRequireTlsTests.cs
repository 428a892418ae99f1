using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Tern.Configuration;
using Tern.Queue;

namespace Tern.Tests.Queue;

/// <summary>RFC 8689 REQUIRETLS in the .env: an additive field of version 1, written only when set.</summary>
public sealed class QueueEnvelopeRequireTlsTests : IDisposable
{
    readonly string data = Path.Combine(Path.GetTempPath(), "tern-queue-" + Guid.NewGuid().ToString("N")[..12]);
    readonly QueueStore queue;

    public QueueEnvelopeRequireTlsTests()
    {
        queue = new QueueStore(new TernOptions { DataDirectory = data }, NullLogger<QueueStore>.Instance);
    }

    public void Dispose()
    {
        try { Directory.Delete(data, recursive: true); } catch (IOException) { }
    }

    Task<string> EnqueueAsync(bool requireTls) => queue.EnqueueAsync(new MemoryStream("Subject: x\r\n\r\nbody\r\n"u8.ToArray()), new QueueEnvelope
    {
        Arrived = DateTimeOffset.UtcNow,
        Sender = new QueueSender { Address = "alice@example.com", RequireTls = requireTls },
        Recipients = [new QueueRecipient { Address = "bob@example.org" }],
    });

    [Fact]
    public async Task RequireTls_round_trips_through_the_envelope_file()
    {
        var id = await EnqueueAsync(true);
        var text = await File.ReadAllTextAsync(Path.Combine(queue.QueueDirectory, id + ".env"));
        Assert.Contains("\"requireTls\": true", text, StringComparison.Ordinal);
        Assert.True((await queue.ReadEnvelopeAsync(id))!.Sender.RequireTls);
    }

    [Fact]
    public async Task Envelope_without_RequireTls_keeps_the_old_format_and_old_files_read_as_false()
    {
        var id = await EnqueueAsync(false);
        var path = Path.Combine(queue.QueueDirectory, id + ".env");
        Assert.DoesNotContain("requireTls", await File.ReadAllTextAsync(path), StringComparison.Ordinal);

        // A file as written before the field existed (version 1, no requireTls) is read as before.
        const string old = """
            {
              "version": 1,
              "id": "ID",
              "arrived": "2026-11-27T08:00:00+00:00",
              "sender": { "address": "alice@example.com", "smtpUtf8": false },
              "recipients": [ { "address": "bob@example.org", "notify": [], "state": "Pending", "attempts": 0, "deliveredAccounts": [] } ],
              "client": { "address": "192.0.2.1" },
              "size": 24
            }
            """;
        await File.WriteAllTextAsync(path, old.Replace("\"ID\"", "\"" + id + "\"", StringComparison.Ordinal), new UTF8Encoding(false));
        var envelope = await queue.ReadEnvelopeAsync(id);
        Assert.NotNull(envelope);
        Assert.False(envelope.Sender.RequireTls);
        Assert.Equal("alice@example.com", envelope.Sender.Address);
    }
}
