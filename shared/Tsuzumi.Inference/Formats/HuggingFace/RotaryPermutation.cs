namespace Tsuzumi.Inference.Formats.HuggingFace;

/// <summary>
/// Reorders the rows of q_proj / k_proj between RoPE's two pairings. Within each head of width d, Hugging Face rotates
/// dimension i with i + d/2 (half-split); GGUF and llama2.c rotate 2i with 2i + 1 (adjacent pairs). llama.cpp's
/// convert_hf_to_gguf.py <c>permute</c> moves half-split row <c>s·d/2 + j</c> to adjacent row <c>2j + s</c>
/// (reshape to [heads, 2, d/2, …], swap axes 1 and 2); this class does that and its inverse. Either way round, the
/// same pair of rows meets the same frequency, so attention scores are unchanged.
/// </summary>
public static class RotaryPermutation
{
    /// <summary>Adjacent-pair rows (GGUF) → half-split rows (Hugging Face): the inverse of llama.cpp's <c>permute</c>.</summary>
    /// <param name="values">Row-major [heads · d, columns] (a weight) or [heads · d] (a bias, columns = 1).</param>
    public static float[] AdjacentPairsToHalfSplit(float[] values, long[] shape, int heads) =>
        Reorder(values, shape, heads, toHalfSplit: true);

    /// <summary>Half-split rows (Hugging Face) → adjacent-pair rows (GGUF): llama.cpp's <c>permute</c>.</summary>
    public static float[] HalfSplitToAdjacentPairs(float[] values, long[] shape, int heads) =>
        Reorder(values, shape, heads, toHalfSplit: false);

    private static float[] Reorder(float[] values, long[] shape, int heads, bool toHalfSplit)
    {
        if (shape.Length is not (1 or 2)) throw new ArgumentException($"expected a weight or bias, got shape [{string.Join(", ", shape)}]");
        var rows = shape[0];
        var columns = shape.Length == 2 ? (int)shape[1] : 1;
        if (heads <= 0 || rows % heads != 0 || rows / heads % 2 != 0)
            throw new ArgumentException($"{rows} rows do not split into {heads} heads of even width");
        if (values.LongLength != rows * columns)
            throw new ArgumentException($"{values.LongLength} values do not fill shape [{string.Join(", ", shape)}]");

        var headDim = (int)(rows / heads);
        var half = headDim / 2;
        var result = new float[values.Length];
        for (var head = 0; head < heads; head++)
        {
            var headStart = head * headDim;
            for (var j = 0; j < half; j++)
            {
                for (var side = 0; side < 2; side++)
                {
                    var halfSplitRow = headStart + side * half + j;
                    var adjacentRow = headStart + 2 * j + side;
                    var (from, to) = toHalfSplit ? (adjacentRow, halfSplitRow) : (halfSplitRow, adjacentRow);
                    Array.Copy(values, (long)from * columns, result, (long)to * columns, columns);
                }
            }
        }
        return result;
    }
}
