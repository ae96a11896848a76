using Tsuzumi.Inference.Formats.Gguf;

namespace Tsuzumi.Inference.Tests.Formats.Gguf;

public sealed class GgufRopePermutationTests
{
    [Fact]
    public void One_head_of_four_rows_interleaves_its_halves()
    {
        // Half split pairs rows (0, 2) and (1, 3); adjacent pairs want them at (0, 1) and (2, 3).
        float[] rows = [10, 11, 20, 21, 30, 31, 40, 41]; // 4 rows × 2 columns

        var adjacent = GgufRopePermutation.HalfSplitToAdjacentPairs(rows, heads: 1, headDim: 4);

        Assert.Equal([10f, 11, 30, 31, 20, 21, 40, 41], adjacent);
        Assert.Equal(rows, GgufRopePermutation.AdjacentPairsToHalfSplit(adjacent, heads: 1, headDim: 4));
    }

    [Fact]
    public void Attention_scores_are_the_same_under_either_rope_once_rows_are_permuted()
    {
        const int heads = 2, headDim = 8, columns = 6, position = 5;
        var random = new Random(4);
        var wq = Enumerable.Range(0, heads * headDim * columns).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var wk = Enumerable.Range(0, heads * headDim * columns).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
        var x = Enumerable.Range(0, columns).Select(_ => (float)random.NextDouble()).ToArray();

        var wqAdjacent = GgufRopePermutation.HalfSplitToAdjacentPairs(wq, heads, headDim);
        var wkAdjacent = GgufRopePermutation.HalfSplitToAdjacentPairs(wk, heads, headDim);
        for (var head = 0; head < heads; head++)
        {
            var halfSplitScore = Dot(Rope(Project(wq, x, head, headDim), position, adjacent: false), Rope(Project(wk, x, head, headDim), 2, adjacent: false));
            var adjacentScore = Dot(Rope(Project(wqAdjacent, x, head, headDim), position, adjacent: true), Rope(Project(wkAdjacent, x, head, headDim), 2, adjacent: true));
            Assert.Equal(halfSplitScore, adjacentScore, 1e-9);
        }
    }

    private static double[] Project(float[] weight, float[] x, int head, int headDim)
    {
        var output = new double[headDim];
        for (var row = 0; row < headDim; row++)
            for (var column = 0; column < x.Length; column++)
                output[row] += weight[(head * headDim + row) * x.Length + column] * (double)x[column];
        return output;
    }

    /// <summary>Rotates pair i by position·θ_i, θ_i = 10000^(−2i/d); pairs are (2i, 2i+1) or (i, i + d/2).</summary>
    private static double[] Rope(double[] vector, int position, bool adjacent)
    {
        var half = vector.Length / 2;
        var rotated = (double[])vector.Clone();
        for (var i = 0; i < half; i++)
        {
            var angle = position * Math.Pow(10000, -2.0 * i / vector.Length);
            var (a, b) = adjacent ? (2 * i, 2 * i + 1) : (i, i + half);
            rotated[a] = vector[a] * Math.Cos(angle) - vector[b] * Math.Sin(angle);
            rotated[b] = vector[a] * Math.Sin(angle) + vector[b] * Math.Cos(angle);
        }
        return rotated;
    }

    private static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();
}
