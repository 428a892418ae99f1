using Tern.Bench.Measure;

namespace Tern.Bench;

/// <summary>The rounds of one workload against one server. A cell is either measured (samples, no
/// <see cref="Missing"/>) or missing with its reason; a missing cell never shows a number.</summary>
public sealed class ServerResult(string server)
{
    public string Server { get; } = server;
    public List<double> Samples { get; } = [];
    public MemorySnapshot PeakMemory { get; set; } = MemorySnapshot.None;
    public string? Missing { get; set; }
    public bool Measured => Missing is null && Samples.Count > 0;
    public Stats Stats => new(Samples);
}

/// <summary>One line of the table: Tern, the reference server and, for SMTP, the smtp-sink ceiling.</summary>
public sealed class RowResult(Workload workload, ServerResult tern, ServerResult? reference, ServerResult? ceiling)
{
    public Workload Workload { get; } = workload;
    public ServerResult Tern { get; } = tern;
    public ServerResult? Reference { get; } = reference;
    public ServerResult? Ceiling { get; } = ceiling;

    /// <summary>Tern's median over the reference's, only when both were measured in this run.</summary>
    public double? Ratio => Reference is { Measured: true } && Tern.Measured && Reference.Stats.Median != 0
        ? Tern.Stats.Median / Reference.Stats.Median
        : null;
}

public sealed class BenchReport
{
    public required BenchOptions Options { get; init; }
    public required DateTimeOffset Started { get; init; }
    public DateTimeOffset Finished { get; set; }
    public List<RowResult> Rows { get; } = [];
    public List<string> Versions { get; } = [];
    public string LoadAtStart { get; init; } = MachineInfo.LoadAverage();
    public string LoadAtEnd { get; set; } = "";
}
