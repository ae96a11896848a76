using Tsuzumi.Inference.Formats.HuggingFace;

namespace Tsuzumi.Inference.Tests.Formats.HuggingFace;

public sealed class RotaryPermutationTests
{
    [Fact]
    public void Adjacent_pairs_become_half_split_pairs_in_a_hand_worked_example()
    {
        // Two heads of width 4, one column. GGUF pairs rows (0,1) and (2,3) of each head;
        // Hugging Face pairs (0,2) and (1,3): so a0 a1 b0 b1 must become a0 b0 a1 b1.
        float[] adjacent = [10, 11, 20, 21, /* head 2 */ 30, 31, 40, 41];

        var halfSplit = RotaryPermutation.AdjacentPairsToHalfSplit(adjacent, [8], heads: 2);

        Assert.Equal([10, 20, 11, 21, 30, 40, 31, 41], halfSplit);
    }

    [Fact]
    public void Whole_rows_move_together_for_a_weight_matrix()
    {
        // One head of width 4, rows of 2 columns: row r holds (r, -r).
        float[] adjacent = [0, -0, 1, -1, 2, -2, 3, -3];

        var halfSplit = RotaryPermutation.AdjacentPairsToHalfSplit(adjacent, [4, 2], heads: 1);

        Assert.Equal([0, -0, 2, -2, 1, -1, 3, -3], halfSplit);
    }

    [Fact]
    public void Permute_and_unpermute_are_inverses()
    {
        var random = new Random(5);
        var values = Enumerable.Range(0, 16 * 3).Select(_ => (float)random.NextDouble()).ToArray();
        long[] shape = [16, 3];

        var there = RotaryPermutation.HalfSplitToAdjacentPairs(values, shape, heads: 2);
        Assert.NotEqual(values, there);
        Assert.Equal(values, RotaryPermutation.AdjacentPairsToHalfSplit(there, shape, heads: 2));
        Assert.Equal(values, RotaryPermutation.HalfSplitToAdjacentPairs(RotaryPermutation.AdjacentPairsToHalfSplit(values, shape, 4), shape, 4));
    }

    [Fact]
    public void Attention_scores_agree_between_the_two_rope_layouts_after_unpermuting()
    {
        // q·k after RoPE at positions (5, 2), computed GGUF-style on adjacent-pair weights and transformers-style on
        // the un-permuted weights, must be the same number per head.
        const int heads = 2, headDim = 8, hidden = 6;
        var random = new Random(11);
        float[] Random(int count) => Enumerable.Range(0, count).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
        var queryAdjacent = Random(heads * headDim * hidden);
        var keyAdjacent = Random(heads * headDim * hidden);
        var input = Random(hidden);
        long[] shape = [heads * headDim, hidden];
        var queryHalfSplit = RotaryPermutation.AdjacentPairsToHalfSplit(queryAdjacent, shape, heads);
        var keyHalfSplit = RotaryPermutation.AdjacentPairsToHalfSplit(keyAdjacent, shape, heads);

        for (var head = 0; head < heads; head++)
        {
            var adjacentScore = Dot(
                RotateAdjacent(Project(queryAdjacent, input, head, headDim), position: 5),
                RotateAdjacent(Project(keyAdjacent, input, head, headDim), position: 2));
            var halfSplitScore = Dot(
                RotateHalfSplit(Project(queryHalfSplit, input, head, headDim), position: 5),
                RotateHalfSplit(Project(keyHalfSplit, input, head, headDim), position: 2));
            Assert.Equal(adjacentScore, halfSplitScore, 1e-9);
        }
    }

    private static double[] Project(float[] weight, float[] input, int head, int headDim) =>
        Enumerable.Range(head * headDim, headDim)
            .Select(row => Enumerable.Range(0, input.Length).Sum(column => (double)weight[row * input.Length + column] * input[column]))
            .ToArray();

    private static double Frequency(int pair, int headDim) => Math.Pow(10000, -2.0 * pair / headDim);

    private static double[] RotateAdjacent(double[] x, int position)
    {
        var result = new double[x.Length];
        for (var j = 0; j < x.Length / 2; j++)
        {
            var (cos, sin) = (Math.Cos(position * Frequency(j, x.Length)), Math.Sin(position * Frequency(j, x.Length)));
            result[2 * j] = x[2 * j] * cos - x[2 * j + 1] * sin;
            result[2 * j + 1] = x[2 * j] * sin + x[2 * j + 1] * cos;
        }
        return result;
    }

    private static double[] RotateHalfSplit(double[] x, int position)
    {
        var half = x.Length / 2;
        var result = new double[x.Length];
        for (var j = 0; j < half; j++)
        {
            var (cos, sin) = (Math.Cos(position * Frequency(j, x.Length)), Math.Sin(position * Frequency(j, x.Length)));
            result[j] = x[j] * cos - x[j + half] * sin;
            result[j + half] = x[j] * sin + x[j + half] * cos;
        }
        return result;
    }

    private static double Dot(double[] left, double[] right) => left.Zip(right, (a, b) => a * b).Sum();
}
