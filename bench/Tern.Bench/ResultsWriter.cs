using System.Text;
using Tern.Bench.Measure;

namespace Tern.Bench;

/// <summary>The results as Markdown: the table, the command, the machine, what is missing and why.</summary>
public static class ResultsWriter
{
    public static string Table(BenchReport report)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| Workload | Unit | Tern | Reference | Reference result | Tern / reference | Peak memory, Tern | Peak memory, reference |");
        sb.AppendLine("|---|---|---|---|---|---|---|---|");
        foreach (var row in report.Rows)
        {
            var w = row.Workload;
            var unit = w.HigherIsBetter ? $"{w.Unit}, higher is better" : $"{w.Unit}, lower is better";
            var reference = row.Reference;
            sb.AppendLine(string.Join(" | ",
                "| " + Escape(w.Name),
                unit,
                Escape(Harness.Cell(row.Tern, w)),
                reference?.Server ?? "none (Tern's code alone)",
                reference is null ? "—" : Escape(Harness.Cell(reference, w)),
                row.Ratio is { } ratio ? $"**{ratio:F2}x**" : "—",
                Memory(row.Tern),
                reference is null ? "—" : Memory(reference)) + " |");
            if (row.Ceiling is { } ceiling)
            {
                sb.AppendLine(string.Join(" | ",
                    "| " + Escape(w.Name) + ": the machine's ceiling (server writes nothing)",
                    unit, "—", ceiling.Server, Escape(Harness.Cell(ceiling, w)), "—", "—", Memory(ceiling)) + " |");
            }
        }
        return sb.ToString();
    }

    static string Memory(ServerResult result)
    {
        if (!result.Measured || result.PeakMemory.Processes == 0)
            return "—";
        var m = result.PeakMemory;
        var rss = $"{m.RssBytes / 1048576.0:F0} MB";
        return m.Processes > 1 && m.PssBytes > 0
            ? $"{rss} RSS in {m.Processes} processes (PSS {m.PssBytes / 1048576.0:F0} MB)"
            : $"{rss} RSS";
    }

    static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);

    public static string Markdown(BenchReport report)
    {
        var o = report.Options;
        var sb = new StringBuilder();
        sb.AppendLine("# Benchmark results: Tern beside Postfix and Dovecot");
        sb.AppendLine();
        sb.AppendLine("Written by `bench/run`; see `bench/README.md` for how to run it and how to read this table.");
        sb.AppendLine();
        sb.AppendLine($"- **Command:** `{o.Command}`");
        sb.AppendLine($"- **Date:** {report.Started:yyyy-MM-dd HH:mm} UTC ({(report.Finished - report.Started).TotalMinutes:F1} minutes)");
        sb.AppendLine($"- **Mode:** {(o.Quick ? "quick" : "full")}{(o.TernOnly ? ", Tern only" : "")}; {o.Rounds} rounds per workload and server, " +
                      $"interleaved (Tern, reference, Tern, reference...) after one warm-up round each; time-boxed rounds last {o.Duration.TotalSeconds:0.#} s");
        foreach (var (key, value) in MachineInfo.Describe())
            sb.AppendLine($"- **{key}:** {value}");
        sb.AppendLine($"- **Load average (1, 5, 15 min):** {report.LoadAtStart} at the start, {report.LoadAtEnd} at the end" +
                      (Environment.ProcessorCount > 0 && double.TryParse(report.LoadAtStart.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture, out var load) && load > Environment.ProcessorCount
                          ? " — the machine was busy with other work, so the figures are noisy; compare ratios, not absolute numbers"
                          : ""));
        if (report.Versions.Count > 0)
            sb.AppendLine($"- **Servers:** {string.Join(", ", report.Versions)}");
        sb.AppendLine();
        sb.AppendLine("Each cell is the median of the rounds, with the lowest and highest round in parentheses. The ratio is");
        sb.AppendLine("Tern's median over the reference's, printed only when both were measured in this run; for a unit where");
        sb.AppendLine("lower is better, a ratio under 1 means Tern is better. Peak memory is the highest resident memory sampled");
        sb.AppendLine("(every 250 ms) during the rounds: VmRSS summed over the server's processes, and PSS (shared pages divided");
        sb.AppendLine("among the processes sharing them) for the servers made of many processes.");
        sb.AppendLine();
        sb.Append(Table(report));
        var missing = report.Rows
            .SelectMany(r => new[] { r.Tern, r.Reference, r.Ceiling }.Where(c => c?.Missing is not null).Select(c => (r.Workload.Name, c!)))
            .ToList();
        if (missing.Count > 0)
        {
            sb.AppendLine();
            sb.AppendLine("## Missing");
            sb.AppendLine();
            foreach (var group in missing.GroupBy(m => (m.Item2.Server, m.Item2.Missing)))
                sb.AppendLine($"- **{group.Key.Server}**: {group.Key.Missing} — {string.Join("; ", group.Select(g => g.Name))}");
        }
        return sb.ToString();
    }
}
