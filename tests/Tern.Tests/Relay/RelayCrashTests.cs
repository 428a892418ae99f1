using Microsoft.Extensions.Logging.Abstractions;
using Tern.Configuration;
using Tern.Queue;
using Tern.Tests.Delivery;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Relay;

/// <summary><c>tern run</c> killed with SIGKILL in the middle of a delivery, then started again on the same data.</summary>
public sealed class RelayCrashTests
{
    /// <remarks>Needs <c>tern run</c> to include the relay: <c>builder.Services.AddTernRelay(options);</c> after
    /// <c>AddTernDelivery</c> in TernHost.Build (the lead's wiring). Verified passing with that line (23 s).</remarks>
    [Fact]
    public async Task SIGKILL_during_delivery_then_restart_delivers_exactly_once_to_recipients_that_had_not_accepted()
    {
        await using var dns = TestDnsServer.Start();
        await using var destination = await RelayEndToEndTests.StartDestinationAsync("quinn@d1.test", "rosa@d2.test");
        // d2's MX first points at a server that takes the whole message and never answers the final dot.
        await using var stall = ScriptedSmtpServer.Start("127.0.0.81", destination.SmtpPort);
        stall.DataReply = _ => null;
        dns.AddMx("d1.test", 10, "mx.d1.test").AddA("mx.d1.test")
            .AddMx("d2.test", 10, "mx.d2.test").AddA("mx.d2.test", "127.0.0.81");

        var data = Path.Combine(Path.GetTempPath(), "tern-crash-" + Guid.NewGuid().ToString("N")[..12]);
        try
        {
            var queue = new QueueStore(new TernOptions { DataDirectory = data }, NullLogger<QueueStore>.Instance);
            var id = await queue.EnqueueAsync(new MemoryStream("From: <alice@source.test>\r\nSubject: crash test\r\n\r\nonce only\r\n"u8.ToArray()),
                new QueueEnvelope
                {
                    Arrived = DateTimeOffset.UtcNow,
                    Sender = new QueueSender { Address = "alice@source.test" },
                    Recipients = [new QueueRecipient { Address = "quinn@d1.test" }, new QueueRecipient { Address = "rosa@d2.test" }],
                    Client = new QueueClient { Address = "127.0.0.1", Listener = "smtp-submission" },
                });
            var settings = RelayEndToEndTests.SourceSettings(dns, destination.SmtpPort);
            settings["Relay:DataTimeoutSeconds"] = "120";

            await using (var first = await TernProcess.StartServerAsync(data, settings))
            {
                await RelayHarness.WaitUntilAsync(async () =>
                    stall.DataReceived == 1 && (await queue.ReadEnvelopeAsync(id))?.Recipients[0].State == RecipientState.Delivered,
                    30, "quinn delivered and rosa's transaction hanging after the final dot: " + string.Join('\n', first.Output));
                await first.KillAsync();
            }
            var killed = (await queue.ReadEnvelopeAsync(id))!;
            Assert.Equal(RecipientState.Delivered, killed.Recipients[0].State);
            Assert.Equal(RecipientState.Pending, killed.Recipients[1].State);

            // The stalled host is gone now; d2 gets a working MX.
            dns.Remove("mx.d2.test").AddA("mx.d2.test");
            await using (var second = await TernProcess.StartServerAsync(data, settings))
            {
                await RelayHarness.WaitUntilAsync(() => !File.Exists(Path.Combine(queue.QueueDirectory, id + ".env")), 30,
                    "delivery after the restart: " + string.Join('\n', second.Output));
            }
            Assert.Single(await LocalDeliveryTests.InboxAsync(destination, "rosa@d2.test", 1));
            var quinn = await LocalDeliveryTests.InboxAsync(destination, "quinn@d1.test", 2, TimeSpan.FromMilliseconds(300));
            Assert.Single(quinn);
            Assert.Contains("once only", quinn[0], StringComparison.Ordinal);
            Assert.Empty(Directory.Exists(queue.BadDirectory) ? Directory.GetFiles(queue.BadDirectory) : []);
        }
        finally
        {
            try { Directory.Delete(data, recursive: true); } catch (IOException) { }
        }
    }
}
