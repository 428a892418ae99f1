using System.Diagnostics;
using Tern.Tests.Fixtures;

namespace Tern.Tests.Bench;

/// <summary>The benchmark is not part of the test suite (too slow, too noisy), but its harness must not rot: this
/// runs the load generator's quick, Tern-only mode for a few seconds against the built tern program. It installs
/// nothing and starts no Postfix or Dovecot.</summary>
public sealed class BenchSmokeTests
{
    [Fact]
    public async Task Quick_tern_only_run_writes_numeric_results_and_no_unmeasured_ratio()
    {
        var work = Directory.CreateTempSubdirectory("tern-bench-smoke-").FullName;
        try
        {
            var results = Path.Combine(work, "RESULTS.md");
            var run = await RunBenchAsync(
            [
                "compare", "--quick", "--tern-only", "--rounds", "1", "--seconds", "1",
                "--tern", TernProcess.ExecutablePath, "--tern-ports", "0,0,0",
                "--work", Path.Combine(work, "run"), "--results", results,
                "--only", "Store: parse",
            ], TimeSpan.FromSeconds(28));

            Assert.True(run.ExitCode == 0, $"exit code {run.ExitCode}\n{run.Output}");
            var rows = TableRows(await File.ReadAllTextAsync(results));
            Assert.Contains(rows, r => r[0].StartsWith("Store: parse at delivery", StringComparison.Ordinal) && IsNumber(r[2]));
            // Tern itself was started: its memory at rest is a number, or missing with the reason.
            Assert.Contains(rows, r => r[0].StartsWith("Resident memory at rest", StringComparison.Ordinal));
            // Columns: workload, unit, Tern, reference, reference result, ratio, memory Tern, memory reference.
            var ternCells = rows.Where(r => r[2] != "—").Select(r => r[2]).ToList();
            Assert.All(ternCells, cell => Assert.True(IsNumber(cell) || cell.StartsWith("missing: ", StringComparison.Ordinal), cell));
            Assert.Contains(ternCells, IsNumber);
            // Tern alone: every reference is marked as not run, and no ratio is printed for what was not measured.
            Assert.All(rows, r => Assert.Equal("—", r[5]));
            Assert.All(rows.Where(r => r[4] != "—"), r => Assert.Equal("missing: not run (--tern-only)", r[4]));
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    static bool IsNumber(string cell) =>
        double.TryParse(cell.Split(' ')[0].Replace(",", "", StringComparison.Ordinal), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out _);

    static List<string[]> TableRows(string markdown) => markdown.Split('\n')
        .Where(l => l.StartsWith("| ", StringComparison.Ordinal) && !l.StartsWith("| Workload", StringComparison.Ordinal))
        .Select(l => l.Trim().Trim('|').Split(" | ").Select(c => c.Trim()).ToArray())
        .ToList();

    /// <summary>The load generator built beside this test project (same configuration), as its own process.</summary>
    static async Task<(int ExitCode, string Output)> RunBenchAsync(IReadOnlyList<string> args, TimeSpan timeout)
    {
        var testDir = new DirectoryInfo(AppContext.BaseDirectory); // tests/Tern.Tests/bin/CONFIG/net10.0/
        var configuration = testDir.Parent!.Name;
        var framework = testDir.Name;
        var root = testDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Tern.sln")))
            root = root.Parent;
        Assert.NotNull(root);
        var dll = Path.Combine(root.FullName, "bench", "Tern.Bench", "bin", configuration, framework, "Tern.Bench.dll");
        Assert.True(File.Exists(dll), $"not built: {dll}");

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the quick bench run took longer than {timeout.TotalSeconds} s\n{await output}\n{await error}");
        }
        return (process.ExitCode, await output + await error);
    }
}
