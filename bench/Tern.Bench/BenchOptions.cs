using System.Globalization;

namespace Tern.Bench;

/// <summary>The options of <c>Tern.Bench compare</c> (what <c>bench/run</c> passes on).</summary>
public sealed record BenchOptions
{
    public bool Quick { get; init; }
    public bool TernOnly { get; init; }
    public int Rounds { get; init; }
    public TimeSpan Duration { get; init; }
    public string TernPath { get; init; } = "";
    public string WorkDir { get; init; } = "";
    public string? ResultsFile { get; init; }
    public string? InstallStatusFile { get; init; }
    public string Command { get; init; } = "";
    /// <summary>Only workloads whose name contains one of these (case-insensitive); empty: all.</summary>
    public IReadOnlyList<string> Only { get; init; } = [];
    /// <summary>Tern's SMTP, POP3 and IMAP ports; 0 picks free ones (the smoke test).</summary>
    public int[] TernPorts { get; init; } = [13525, 13110, 13143];
    public int[] PostfixPorts { get; init; } = [12525, 12526];
    public int[] DovecotPorts { get; init; } = [12110, 12143];

    public const string Usage = """
        Tern.Bench compare --tern PATH [options]    run the comparison (bench/run does this)
        Tern.Bench micro [BenchmarkDotNet args]      micro-benchmarks of the hot parsers

          --quick              smaller mailboxes, fewer messages, 3 rounds of 1 s (under 2 minutes in all)
          --tern-only          no reference servers (their columns say so)
          --rounds N           rounds per workload and server (default 5, quick 3)
          --seconds N          duration of a time-boxed round (default 4, quick 1)
          --only TEXT          only workloads whose name contains TEXT (repeatable)
          --tern PATH          the built tern program (or tern.dll)
          --work DIR           scratch folder (servers' data, logs)
          --results FILE       write the Markdown results there (bench/run: bench/RESULTS.md)
          --install-status F   reasons the reference servers could not be installed (from bench/run)
          --command TEXT       the command line to record in the results
          --tern-ports S,P,I   Tern's SMTP,POP3,IMAP ports (default 13525,13110,13143; 0 = any free port)
        """;

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var o = new BenchOptions();
        bool quick = args.Contains("--quick");
        int? rounds = null;
        double? seconds = null;
        var only = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string Value() => i + 1 < args.Count ? args[++i] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "compare": break;
                case "--quick": break;
                case "--keep": break;
                case "--tern-only": o = o with { TernOnly = true }; break;
                case "--rounds": rounds = int.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--seconds": seconds = double.Parse(Value(), CultureInfo.InvariantCulture); break;
                case "--only": only.Add(Value()); break;
                case "--tern": o = o with { TernPath = Path.GetFullPath(Value()) }; break;
                case "--work": o = o with { WorkDir = Path.GetFullPath(Value()) }; break;
                case "--results": o = o with { ResultsFile = Path.GetFullPath(Value()) }; break;
                case "--install-status": o = o with { InstallStatusFile = Value() }; break;
                case "--command": o = o with { Command = Value() }; break;
                case "--tern-ports":
                    o = o with { TernPorts = Value().Split(',').Select(p => int.Parse(p, CultureInfo.InvariantCulture)).ToArray() };
                    if (o.TernPorts.Length != 3)
                        throw new ArgumentException("--tern-ports needs three ports: SMTP,POP3,IMAP");
                    break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }
        }
        if (o.TernPath.Length == 0)
            throw new ArgumentException("--tern PATH is required");
        if (rounds is < 1)
            throw new ArgumentException("--rounds must be at least 1");
        return o with
        {
            Quick = quick,
            Rounds = rounds ?? (quick ? 3 : 5),
            Duration = TimeSpan.FromSeconds(seconds ?? (quick ? 1 : 4)),
            Only = only,
            WorkDir = o.WorkDir.Length > 0 ? o.WorkDir : Directory.CreateTempSubdirectory("tern-bench-").FullName,
            Command = o.Command.Length > 0 ? o.Command : "Tern.Bench " + string.Join(' ', args),
        };
    }
}
