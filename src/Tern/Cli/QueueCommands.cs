using System.CommandLine;
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tern.Configuration;
using Tern.Delivery.Dsn;
using Tern.Queue;

namespace Tern.Cli;

/// <summary><c>tern queue list|show|retry|delete|bounce</c>: the mail queue, usable while the server runs.</summary>
/// <remarks>Every change goes through <see cref="QueueStore"/>'s atomic file operations, so it is safe beside a running
/// server: <c>retry</c> makes deferred recipients due now and the server's runners take them at their next rescan
/// (every <c>Relay:IntervalSeconds</c>); a report queued by <c>bounce</c> is delivered the same way.</remarks>
public static class QueueCommands
{
    public static IEnumerable<Command> Create()
    {
        var command = new Command("queue", "Inspect and manage the mail queue (works while the server runs).");
        command.Subcommands.Add(List());
        command.Subcommands.Add(Show());
        command.Subcommands.Add(Retry());
        command.Subcommands.Add(Delete());
        command.Subcommands.Add(Bounce());
        yield return command;
    }

    static Argument<string> IdArgument() => new("ID") { Description = "The queue id, as shown by tern queue list." };

    static Command List()
    {
        var command = new Command("list", "List queued messages with their recipients' states.");
        command.SetQueueAction(async (_, services, queue, cancellationToken) =>
        {
            var rows = new List<string[]>();
            foreach (var id in await queue.ListAsync(cancellationToken))
            {
                QueueEnvelope? env;
                try { env = await queue.ReadEnvelopeAsync(id, cancellationToken); }
                catch (InvalidDataException ex) { rows.Add([id, "?", "?", "?", "unreadable: " + ex.Message, ""]); continue; }
                if (env is null)
                    continue;
                var open = env.Recipients.Where(r => r.State is RecipientState.Pending or RecipientState.Deferred).ToList();
                var next = open.Where(r => r.NextAttempt is not null).Select(r => r.NextAttempt!.Value).DefaultIfEmpty().Min();
                rows.Add([
                    id,
                    Time(env.Arrived),
                    env.Size.ToString(CultureInfo.InvariantCulture),
                    env.Sender.Address.Length == 0 ? "<>" : env.Sender.Address,
                    string.Join(", ", env.Recipients.Select(r => $"{r.Address} ({r.State.ToString().ToLowerInvariant()})")),
                    open.Count == 0 ? "" : next == default ? "now" : Time(next),
                ]);
            }
            if (rows.Count == 0)
            {
                Console.WriteLine("the queue is empty");
                return 0;
            }
            AccountCli.WriteTable(["ID", "ARRIVED", "SIZE", "FROM", "RECIPIENTS", "NEXT ATTEMPT"], rows);
            return 0;
        });
        return command;
    }

    static Command Show()
    {
        var id = IdArgument();
        var command = new Command("show", "Show one queued message: envelope, each recipient's state and reason, and the header.");
        command.Arguments.Add(id);
        command.SetQueueAction(async (parse, _, queue, cancellationToken) =>
        {
            var queueId = CheckId(parse.GetValue(id));
            var env = await queue.ReadEnvelopeAsync(queueId, cancellationToken) ?? throw new CliException($"{queueId} is not in the queue");
            Console.WriteLine($"id:        {env.Id}");
            Console.WriteLine($"arrived:   {Time(env.Arrived)}");
            Console.WriteLine($"size:      {env.Size.ToString(CultureInfo.InvariantCulture)} octets");
            Console.WriteLine($"from:      <{env.Sender.Address}>{Params(env.Sender)}");
            Console.WriteLine($"client:    {env.Client.Address} ({env.Client.Helo}) via {env.Client.Listener}{(env.Client.AuthenticatedUser is { } user ? ", user " + user : "")}");
            foreach (var r in env.Recipients)
            {
                Console.WriteLine($"to:        <{r.Address}> {r.State.ToString().ToLowerInvariant()}, {r.Attempts.ToString(CultureInfo.InvariantCulture)} attempt(s)"
                    + (r.LastAttempt is { } last ? $", last {Time(last)}" : "")
                    + (r.NextAttempt is { } next && r.State == RecipientState.Deferred ? $", next {Time(next)}" : "")
                    + (r.Notify.Count > 0 ? $", NOTIFY={string.Join(',', r.Notify)}" : "")
                    + (r.ExpandedFrom is { } alias ? $", via alias {alias}" : ""));
                if (r.Reason is { } reason)
                    Console.WriteLine($"           {reason}");
            }
            Console.WriteLine();
            await using var content = queue.OpenMessage(queueId);
            using var reader = new StreamReader(content);
            while (await reader.ReadLineAsync(cancellationToken) is { Length: > 0 } line)
                Console.WriteLine(line);
            return 0;
        });
        return command;
    }

    static Command Retry()
    {
        var id = new Argument<string?>("ID") { Description = "The queue id; without it, every queued message.", Arity = ArgumentArity.ZeroOrOne };
        var command = new Command("retry", "Deliver now: deferred recipients become due at once; the running server tries them at its next scan.");
        command.Arguments.Add(id);
        command.SetQueueAction(async (parse, _, queue, cancellationToken) =>
        {
            var ids = parse.GetValue(id) is { } one ? [CheckId(one)] : await queue.ListAsync(cancellationToken);
            int recipients = 0;
            foreach (var queueId in ids)
            {
                var now = DateTimeOffset.UtcNow;
                var env = await queue.UpdateEnvelopeAsync(queueId, e =>
                {
                    bool changed = false;
                    foreach (var r in e.Recipients.Where(r => r.State == RecipientState.Deferred && (r.NextAttempt is null || r.NextAttempt > now)))
                    {
                        r.NextAttempt = now;
                        recipients++;
                        changed = true;
                    }
                    return changed;
                }, cancellationToken);
                if (env is null && ids.Count == 1)
                    throw new CliException($"{queueId} is not in the queue");
            }
            Console.WriteLine($"{recipients.ToString(CultureInfo.InvariantCulture)} deferred recipient(s) of {ids.Count.ToString(CultureInfo.InvariantCulture)} message(s) due now");
            return 0;
        });
        return command;
    }

    static Command Delete()
    {
        var id = IdArgument();
        var command = new Command("delete", "Remove a message from the queue without delivering it or telling the sender.");
        command.Arguments.Add(id);
        command.SetQueueAction(async (parse, _, queue, cancellationToken) =>
        {
            var queueId = CheckId(parse.GetValue(id));
            if (await queue.ReadEnvelopeAsync(queueId, cancellationToken) is null)
                throw new CliException($"{queueId} is not in the queue");
            await queue.CompleteAsync(queueId, cancellationToken);
            Console.WriteLine($"{queueId} deleted");
            return 0;
        });
        return command;
    }

    static Command Bounce()
    {
        var id = IdArgument();
        var command = new Command("bounce", "Give up on a message: its undelivered recipients fail, the sender gets a DSN, the message goes to the bad folder.");
        command.Arguments.Add(id);
        command.SetQueueAction(async (parse, services, queue, cancellationToken) =>
        {
            var queueId = CheckId(parse.GetValue(id));
            var env = await queue.ReadEnvelopeAsync(queueId, cancellationToken) ?? throw new CliException($"{queueId} is not in the queue");
            var open = env.Recipients.Where(r => r.State is RecipientState.Pending or RecipientState.Deferred).ToList();
            if (open.Count == 0)
                throw new CliException($"{queueId} has no undelivered recipient");
            const string Reason = "delivery cancelled by the administrator";
            var now = DateTimeOffset.UtcNow;
            // RFC 3463 5.0.0: other or undefined permanent status; the last remote reason is kept in the text.
            var reports = open.Select(r => new DsnRecipientReport(
                r.Address, r.OriginalRecipient, DsnAction.Failed, "5.0.0", null, null,
                r.Reason is null ? Reason : $"{Reason} (last error: {r.Reason})", LastAttempt: r.LastAttempt)).ToList();
            var dsn = services.GetRequiredService<DsnSender>();
            var dsnId = await dsn.SendAsync(env, reports, cancellationToken);
            await queue.UpdateEnvelopeAsync(queueId, e =>
            {
                foreach (var r in e.Recipients.Where(r => r.State is RecipientState.Pending or RecipientState.Deferred))
                {
                    r.State = RecipientState.Failed;
                    r.Reason = "5.0.0 " + Reason + (r.Reason is null ? "" : $" (last error: {r.Reason})");
                    r.NextAttempt = null;
                    r.LastAttempt = now;
                }
                return true;
            }, cancellationToken);
            await queue.FinishIfDoneAsync(queueId, cancellationToken);
            Console.WriteLine(dsnId is null
                ? $"{queueId} bounced to the bad folder ({open.Count.ToString(CultureInfo.InvariantCulture)} recipient(s)); no report was due"
                : $"{queueId} bounced to the bad folder ({open.Count.ToString(CultureInfo.InvariantCulture)} recipient(s)); report {dsnId} queued");
            return 0;
        });
        return command;
    }

    static string CheckId(string? id) =>
        QueueId.IsValid(id?.Trim().ToUpperInvariant()) ? id!.Trim().ToUpperInvariant() : throw new CliException($"'{id}' is not a queue id");

    static string Time(DateTimeOffset time) => time.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);

    static string Params(QueueSender sender) =>
        (sender.Body is { } body ? " BODY=" + body : "") + (sender.SmtpUtf8 ? " SMTPUTF8" : "")
        + (sender.Ret is { } ret ? " RET=" + ret : "") + (sender.EnvId is { } envid ? " ENVID=" + envid : "")
        + (sender.RequireTls ? " REQUIRETLS" : "");

    /// <summary>Runs a queue command with the domain services; a refusal is one line "tern: message" and exit code 1.</summary>
    static void SetQueueAction(this Command command, Func<ParseResult, IServiceProvider, QueueStore, CancellationToken, Task<int>> action)
    {
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                var (_, options) = CliContext.LoadOptions(parse);
                await using var services = CliContext.BuildServices(parse);
                var queue = services.GetRequiredService<QueueStore>();
                var withDsn = new ServiceProviderWithDsn(services, options, queue);
                return await action(parse, withDsn, queue, cancellationToken);
            }
            catch (Exception ex) when (ex is CliException or InvalidDataException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"tern: {ex.Message}");
                return 1;
            }
            catch (ConfigurationException ex)
            {
                foreach (var problem in ex.Problems)
                    Console.Error.WriteLine($"tern: {problem}");
                return 2;
            }
        });
    }

    /// <summary>The CLI's services plus a <see cref="DsnSender"/> (the server registers it with the relay).</summary>
    sealed class ServiceProviderWithDsn(IServiceProvider inner, TernOptions options, QueueStore queue) : IServiceProvider
    {
        DsnSender? dsn;

        public object? GetService(Type serviceType) => serviceType == typeof(DsnSender)
            ? dsn ??= new DsnSender(options, queue, inner, inner.GetRequiredService<ILogger<DsnSender>>())
            : inner.GetService(serviceType);
    }
}
