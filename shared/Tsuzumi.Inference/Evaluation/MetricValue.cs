namespace Tsuzumi.Inference.Evaluation;

/// <summary>A metric's mean over questions and the standard error of that mean (NaN below two questions).</summary>
public sealed record MetricValue(string Name, double Value, double StandardError)
{
    /// <summary>
    /// lm-evaluation-harness's <c>mean</c> and <c>mean_stderr</c>: the sample standard deviation (n − 1 in the
    /// denominator) divided by √n.
    /// </summary>
    public static MetricValue Mean(string name, IReadOnlyList<double> perQuestion)
    {
        ArgumentNullException.ThrowIfNull(perQuestion);
        if (perQuestion.Count == 0) return new MetricValue(name, double.NaN, double.NaN);
        var n = perQuestion.Count;
        var mean = perQuestion.Average();
        if (n < 2) return new MetricValue(name, mean, double.NaN);
        var squares = perQuestion.Sum(value => (value - mean) * (value - mean));
        return new MetricValue(name, mean, Math.Sqrt(squares / (n - 1)) / Math.Sqrt(n));
    }
}
