using BenchmarkDotNet.Running;
using Tern.Bench;

// Tern.Bench compare ...   the comparison with Postfix and Dovecot (bench/run drives it)
// Tern.Bench micro ...     BenchmarkDotNet micro-benchmarks; the rest of the arguments go to BenchmarkDotNet
if (args.Length > 0 && args[0] == "micro")
{
    var summaries = BenchmarkSwitcher.FromAssembly(typeof(Harness).Assembly).Run(args[1..]);
    return summaries.Any(s => s.HasCriticalValidationErrors) ? 1 : 0;
}
if (args.Length > 1 && args[0] == "memory")
{
    // Tern.Bench memory PID...: what the harness would record for these process trees now.
    var snapshot = Tern.Bench.Measure.ProcessMemory.Measure(args[1..].Select(int.Parse).ToArray());
    Console.WriteLine($"RSS {snapshot.RssBytes / 1048576.0:F1} MB, PSS {snapshot.PssBytes / 1048576.0:F1} MB, {snapshot.Processes} processes");
    return 0;
}
if (args.Length == 0 || args[0] is "-h" or "--help" || args[0] != "compare")
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return args.Length == 0 || args[0] is "-h" or "--help" ? 0 : 2;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"Tern.Bench: {ex.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var stop = new CancellationTokenSource();
// Ctrl-C and SIGTERM (a timeout, a CI job cancelled) still stop every server the harness started.
Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.Cancel(); };
using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(
    System.Runtime.InteropServices.PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
BenchReport report;
try
{
    report = await new Harness(options, Console.Out).RunAsync(stop.Token);
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    Console.Error.WriteLine("Tern.Bench: interrupted; every server stopped, no results written");
    return 130;
}
Console.WriteLine();
Console.WriteLine(ResultsWriter.Table(report));
if (options.ResultsFile is not null)
{
    await File.WriteAllTextAsync(options.ResultsFile, ResultsWriter.Markdown(report));
    Console.WriteLine($"written to {options.ResultsFile}");
}
return 0;
