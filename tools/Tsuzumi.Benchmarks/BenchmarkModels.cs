using Tsuzumi.Inference.Formats.Gguf;
using static TorchSharp.torch;

namespace Tsuzumi.Benchmarks;

/// <summary>A GGUF file to measure, and the compute dtypes this runtime runs it in.</summary>
/// <param name="Key">The name <c>--models</c> selects it by.</param>
/// <param name="Locate">Returns the file's path, writing it first where the benchmark generates it.</param>
internal sealed record BenchmarkModel(string Key, string Description, Func<TextWriter, string> Locate, ScalarType[] OurDTypes);

internal static class BenchmarkModels
{
    public const string Stories = "stories";
    public const string HalfBillionF32 = "0.5b-f32";
    public const string HalfBillionF16 = "0.5b-f16";

    public static IReadOnlyList<string> Keys { get; } = [Stories, HalfBillionF32, HalfBillionF16];

    /// <param name="sharedDirectory">The read-only shared data folder beside the repository.</param>
    /// <param name="cacheDirectory">Where generated models are kept between runs (outside git).</param>
    /// <param name="fp32OnF16">Also run the F16 file in fp32 (twice the bytes per token: shows what bf16 buys).</param>
    public static BenchmarkModel Get(string key, string sharedDirectory, string cacheDirectory, bool fp32OnF16) => key switch
    {
        Stories => new(Stories, "stories260K (real, F32)",
            _ => RequireFile(Path.Combine(sharedDirectory, "models", "stories260K", "stories260K.gguf")),
            [ScalarType.Float32, ScalarType.BFloat16]),
        HalfBillionF32 => new(HalfBillionF32, "synthetic 0.5B-class, F32",
            log => SyntheticLlama.EnsureWritten(Path.Combine(cacheDirectory, "synthetic-0.5b-f32.gguf"), GgufTensorType.F32, log),
            [ScalarType.Float32]),
        HalfBillionF16 => new(HalfBillionF16, "synthetic 0.5B-class, F16",
            log => SyntheticLlama.EnsureWritten(Path.Combine(cacheDirectory, "synthetic-0.5b-f16.gguf"), GgufTensorType.F16, log),
            fp32OnF16 ? [ScalarType.BFloat16, ScalarType.Float32] : [ScalarType.BFloat16]),
        _ => throw new ArgumentException($"unknown model '{key}' (known: {string.Join(", ", Keys)})"),
    };

    private static string RequireFile(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"benchmark model not found: {path} (set TSUZUMI_SHARED_DIR to the shared data folder)", path);
}

/// <summary>What one decode step must read from memory: every weight matrix except the embedding table (one row of it is read).</summary>
internal static class WeightTraffic
{
    /// <summary>Bytes llama.cpp reads per token: the matrices as stored in the file.</summary>
    public static long StoredBytesPerToken(string ggufPath)
    {
        using var file = GgufFile.Open(ggufPath);
        return PerTokenTensors(file).Sum(tensor => tensor.ByteCount);
    }

    /// <summary>Bytes this runtime reads per token: the same tensors held in <paramref name="dtype"/>.</summary>
    public static long ComputeBytesPerToken(string ggufPath, ScalarType dtype)
    {
        using var file = GgufFile.Open(ggufPath);
        var elementSize = dtype == ScalarType.Float32 ? 4 : 2;
        return PerTokenTensors(file).Sum(tensor => tensor.ElementCount * elementSize);
    }

    /// <summary>With a tied head (no output.weight) the embedding table is read in full by the output projection.</summary>
    private static IEnumerable<GgufTensorInfo> PerTokenTensors(GgufFile file)
    {
        var tied = !file.TryGetTensor("output.weight", out _);
        return file.Tensors.Where(tensor => tied || tensor.Name != "token_embd.weight");
    }
}
