namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>A GGML tensor storage type, numbered as in ggml.h (gaps are types ggml has retired).</summary>
public enum GgufTensorType : uint
{
    F32 = 0,
    F16 = 1,
    Q4_0 = 2,
    Q4_1 = 3,
    Q5_0 = 6,
    Q5_1 = 7,
    Q8_0 = 8,
    Q8_1 = 9,
    Q2_K = 10,
    Q3_K = 11,
    Q4_K = 12,
    Q5_K = 13,
    Q6_K = 14,
    Q8_K = 15,
    IQ2_XXS = 16,
    IQ2_XS = 17,
    IQ3_XXS = 18,
    IQ1_S = 19,
    IQ4_NL = 20,
    IQ3_S = 21,
    IQ2_S = 22,
    IQ4_XS = 23,
    I8 = 24,
    I16 = 25,
    I32 = 26,
    I64 = 27,
    F64 = 28,
    IQ1_M = 29,
    BF16 = 30,
    TQ1_0 = 34,
    TQ2_0 = 35,
    MXFP4 = 39,
}

/// <summary>Block geometry of each GGML type: how many elements a block holds and how many bytes it takes.</summary>
public static class GgufTensorTypes
{
    /// <summary>(elements per block, bytes per block), from ggml.c's type_traits table.</summary>
    private static readonly Dictionary<GgufTensorType, (int BlockSize, int BlockBytes)> Geometry = new()
    {
        [GgufTensorType.F32] = (1, 4),
        [GgufTensorType.F16] = (1, 2),
        [GgufTensorType.Q4_0] = (32, 18),
        [GgufTensorType.Q4_1] = (32, 20),
        [GgufTensorType.Q5_0] = (32, 22),
        [GgufTensorType.Q5_1] = (32, 24),
        [GgufTensorType.Q8_0] = (32, 34),
        [GgufTensorType.Q8_1] = (32, 36),
        [GgufTensorType.Q2_K] = (256, 84),
        [GgufTensorType.Q3_K] = (256, 110),
        [GgufTensorType.Q4_K] = (256, 144),
        [GgufTensorType.Q5_K] = (256, 176),
        [GgufTensorType.Q6_K] = (256, 210),
        [GgufTensorType.Q8_K] = (256, 292),
        [GgufTensorType.IQ2_XXS] = (256, 66),
        [GgufTensorType.IQ2_XS] = (256, 74),
        [GgufTensorType.IQ3_XXS] = (256, 98),
        [GgufTensorType.IQ1_S] = (256, 50),
        [GgufTensorType.IQ4_NL] = (32, 18),
        [GgufTensorType.IQ3_S] = (256, 110),
        [GgufTensorType.IQ2_S] = (256, 82),
        [GgufTensorType.IQ4_XS] = (256, 136),
        [GgufTensorType.I8] = (1, 1),
        [GgufTensorType.I16] = (1, 2),
        [GgufTensorType.I32] = (1, 4),
        [GgufTensorType.I64] = (1, 8),
        [GgufTensorType.F64] = (1, 8),
        [GgufTensorType.IQ1_M] = (256, 56),
        [GgufTensorType.BF16] = (1, 2),
        [GgufTensorType.TQ1_0] = (256, 54),
        [GgufTensorType.TQ2_0] = (256, 66),
        [GgufTensorType.MXFP4] = (32, 17),
    };

    /// <summary>The types <see cref="GgufDequantizer"/> turns into float32.</summary>
    public static IReadOnlyList<GgufTensorType> Dequantizable { get; } =
    [
        GgufTensorType.F32, GgufTensorType.F16, GgufTensorType.BF16, GgufTensorType.Q8_0,
        GgufTensorType.Q4_0, GgufTensorType.Q4_K, GgufTensorType.Q6_K,
    ];

    public static bool IsKnown(GgufTensorType type) => Geometry.ContainsKey(type);

    public static int BlockSize(GgufTensorType type) => Lookup(type).BlockSize;

    public static int BlockBytes(GgufTensorType type) => Lookup(type).BlockBytes;

    /// <summary>Bytes taken by <paramref name="elementCount"/> elements; the count must be a whole number of blocks.</summary>
    public static long ByteCount(GgufTensorType type, long elementCount)
    {
        var (blockSize, blockBytes) = Lookup(type);
        if (elementCount % blockSize != 0)
            throw new ArgumentException($"{elementCount} elements is not a whole number of {type} blocks of {blockSize}");
        return checked(elementCount / blockSize * blockBytes);
    }

    private static (int BlockSize, int BlockBytes) Lookup(GgufTensorType type) =>
        Geometry.TryGetValue(type, out var geometry) ? geometry : throw new ArgumentOutOfRangeException(nameof(type), type, "unknown GGML type");
}
