namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// Reorders the rows of a q_proj / k_proj weight (or bias) between RoPE layouts, per head of <c>headDim</c> rows.
/// Hugging Face (half-split) rotates row i with row i + headDim/2; GGML's normal mode rotates rows 2i and 2i+1.
/// <see cref="HalfSplitToAdjacentPairs"/> is llama.cpp's convert_hf_to_gguf.py <c>LlamaModel.permute</c>:
/// reshape(heads, 2, headDim/2, columns).swapaxes(1, 2), i.e. new row h·d + 2i + t ← old row h·d + t·d/2 + i.
/// </summary>
public static class GgufRopePermutation
{
    public static float[] HalfSplitToAdjacentPairs(float[] rows, int heads, int headDim) => Permute(rows, heads, headDim, toAdjacent: true);

    public static float[] AdjacentPairsToHalfSplit(float[] rows, int heads, int headDim) => Permute(rows, heads, headDim, toAdjacent: false);

    private static float[] Permute(float[] rows, int heads, int headDim, bool toAdjacent)
    {
        var rowCount = (long)heads * headDim;
        if (headDim % 2 != 0 || rowCount == 0 || rows.LongLength % rowCount != 0)
            throw new ArgumentException($"{rows.LongLength} values are not {heads} heads × {headDim} rows (even head width)");
        var columns = (int)(rows.LongLength / rowCount);
        var half = headDim / 2;
        var result = new float[rows.Length];
        for (var head = 0; head < heads; head++)
        {
            for (var i = 0; i < half; i++)
            {
                for (var t = 0; t < 2; t++)
                {
                    var adjacentRow = head * headDim + 2 * i + t;
                    var halfSplitRow = head * headDim + t * half + i;
                    var (from, to) = toAdjacent ? (halfSplitRow, adjacentRow) : (adjacentRow, halfSplitRow);
                    Array.Copy(rows, (long)from * columns, result, (long)to * columns, columns);
                }
            }
        }
        return result;
    }
}
