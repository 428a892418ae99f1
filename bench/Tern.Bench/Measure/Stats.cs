namespace Tern.Bench.Measure;

/// <summary>The rounds of one workload against one server: the median is the figure, min and max show the spread.</summary>
public sealed record Stats(IReadOnlyList<double> Samples)
{
    public double Median
    {
        get
        {
            var sorted = Samples.Order().ToArray();
            int n = sorted.Length;
            return n == 0 ? double.NaN : n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
        }
    }

    public double Min => Samples.Count == 0 ? double.NaN : Samples.Min();
    public double Max => Samples.Count == 0 ? double.NaN : Samples.Max();

    /// <summary>(max - min) / median, in percent: how much the rounds disagree.</summary>
    public double SpreadPercent => Samples.Count < 2 || Median == 0 ? 0 : (Max - Min) / Math.Abs(Median) * 100;
}
