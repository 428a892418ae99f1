using Tern.Bench.Measure;
using Tern.Bench.Servers;

namespace Tern.Bench;

/// <summary>The protocol a network workload speaks; it picks the port and the reference server
/// (SMTP: Postfix; POP3 and IMAP: Dovecot).</summary>
public enum BenchService { Smtp, Pop3, Imap }

/// <summary>Settings of the whole run that a workload may scale with.</summary>
/// <param name="Quick">The <c>--quick</c> mode: smaller mailboxes, fewer messages.</param>
/// <param name="Duration">How long a time-boxed workload runs in one round (<c>--seconds</c>).</param>
/// <param name="WorkDir">A scratch folder of this run, deleted afterwards.</param>
public sealed record BenchContext(bool Quick, TimeSpan Duration, string WorkDir);

/// <summary>One server as a network workload sees it in one round.</summary>
/// <param name="Server">"Tern", "Postfix", "Dovecot" or "smtp-sink".</param>
/// <param name="User">The full address of the workload's user (its <see cref="MailboxSpec"/>), also the SMTP recipient.</param>
/// <param name="Memory">The server's resident memory now (for workloads whose result is memory).</param>
/// <param name="Instance">The server itself, for workloads that use its own tools (doveadm save).</param>
public sealed record BenchTarget(
    string Server, string Host, int Port, string User, string Password,
    BenchContext Context, Func<MemorySnapshot> Memory, BenchServer? Instance = null)
{
    public TimeSpan Duration => Context.Duration;
    public bool Quick => Context.Quick;
}

/// <summary>A user that a workload needs, and the messages in its INBOX before the servers start (identical bytes
/// on every server: Tern gets them through its store, Dovecot as Maildir files).</summary>
/// <param name="Name">Local part; the address is Name@bench.test.</param>
public sealed record MailboxSpec(string Name, int Messages = 0, int MinSize = 10 * 1024, int MaxSize = 10 * 1024)
{
    public const string Domain = "bench.test";
    public string Address => $"{Name}@{Domain}";
}

/// <summary>A workload that cannot run against a server for a known reason (not served, not installed):
/// its cell says "missing" with <see cref="Exception.Message"/>, never a number.</summary>
public sealed class MissingException(string reason) : Exception(reason);

/// <summary>One line of the results table. A network workload runs against Tern and against the reference
/// server of its protocol, interleaved; an in-process workload runs Tern's code alone.</summary>
public sealed record Workload
{
    public required string Name { get; init; }

    /// <summary>What the number counts ("msgs/s", "MB/s", "ops/s", "ms", "MB").</summary>
    public required string Unit { get; init; }

    public bool HigherIsBetter { get; init; } = true;

    /// <summary>Null for an in-process workload.</summary>
    public BenchService? Service { get; init; }

    /// <summary>The user (and maildrop) the workload works on.</summary>
    public MailboxSpec? Mailbox { get; init; }

    /// <summary>SMTP: also run the same client against <c>smtp-sink</c>, the machine's ceiling.</summary>
    public bool WithCeiling { get; init; }

    /// <summary>One unrecorded run against each server first (caches, indexes, JIT).</summary>
    public bool Warmup { get; init; } = true;

    /// <summary>At most this many rounds (a measurement that barely varies and is slow to set up); null: <c>--rounds</c>.</summary>
    public int? MaxRounds { get; init; }

    public Func<BenchTarget, CancellationToken, Task<double>>? RunAgainst { get; init; }
    public Func<BenchContext, CancellationToken, Task<double>>? RunInProcess { get; init; }

    /// <summary>An in-process run that yields several figures at once; each becomes a row "Name: figure".</summary>
    public Func<BenchContext, CancellationToken, Task<IReadOnlyList<(string Name, double Value, string Unit)>>>? RunInProcessMany { get; init; }

    /// <summary>A workload against Tern and the reference server of <paramref name="service"/>.</summary>
    public static Workload Network(
        string name, string unit, BenchService service, Func<BenchTarget, CancellationToken, Task<double>> run,
        MailboxSpec mailbox, bool higherIsBetter = true, bool withCeiling = false, bool warmup = true) => new()
        {
            Name = name, Unit = unit, Service = service, RunAgainst = run, Mailbox = mailbox,
            HigherIsBetter = higherIsBetter, WithCeiling = withCeiling, Warmup = warmup,
        };

    /// <summary>An in-process workload that reports several figures per run (a row each; units "ms" and "MB" are
    /// lower-is-better), such as <c>StoreBenchmark.RunAsync</c>.</summary>
    public static Workload InProcessMany(
        string name, Func<BenchContext, CancellationToken, Task<IReadOnlyList<(string Name, double Value, string Unit)>>> run, int? maxRounds = null) => new()
        {
            Name = name, Unit = "", RunInProcessMany = run, Warmup = false, MaxRounds = maxRounds,
        };

    /// <summary>A workload that runs Tern's code in this process (the store, the parsers at scale); no reference.</summary>
    public static Workload InProcess(
        string name, string unit, Func<BenchContext, CancellationToken, Task<double>> run, bool higherIsBetter = true) => new()
        {
            Name = name, Unit = unit, RunInProcess = run, HigherIsBetter = higherIsBetter, Warmup = false,
        };
}
