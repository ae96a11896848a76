using System.Globalization;

namespace Tsuzumi.Benchmarks;

/// <summary>One measured row: a runtime in a compute dtype on a file, with what the roofline allows it.</summary>
internal sealed record DecodeRow(string Model, string Runtime, string Precision, DecodeSpeed Speed, long BytesPerToken, bool IsReference);

/// <summary>Prints the rows as a Markdown table (paste-able into docs/benchmarks.md), ratios against llama.cpp and the roofline.</summary>
internal static class DecodeReport
{
    public static void Write(TextWriter output, IReadOnlyList<DecodeRow> rows, double bandwidthBytesPerSecond)
    {
        output.WriteLine("| model | runtime | weights | prefill tok/s | decode tok/s | MB/token | roofline tok/s | decode / roofline | decode / llama.cpp | prefill / llama.cpp |");
        output.WriteLine("|---|---|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var row in rows)
        {
            var reference = rows.FirstOrDefault(candidate => candidate.IsReference && candidate.Model == row.Model);
            var roofline = bandwidthBytesPerSecond / row.BytesPerToken;
            var versusDecode = reference is null || row.IsReference ? "" : Ratio(row.Speed.DecodeTokensPerSecond / reference.Speed.DecodeTokensPerSecond);
            var versusPrefill = reference is null || row.IsReference ? "" : Ratio(row.Speed.PrefillTokensPerSecond / reference.Speed.PrefillTokensPerSecond);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"| {row.Model} | {row.Runtime} | {row.Precision} | {row.Speed.PrefillTokensPerSecond:F1} | {row.Speed.DecodeTokensPerSecond:F1} | {row.BytesPerToken / 1e6:F1} | {roofline:F1} | {Ratio(row.Speed.DecodeTokensPerSecond / roofline)} | {versusDecode} | {versusPrefill} |"));
        }
    }

    private static string Ratio(double value) => value.ToString("F2", CultureInfo.InvariantCulture) + "×";
}
