using TorchSharp;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Runtime;

/// <summary>What <see cref="TorchRuntime.SelfTest"/> found.</summary>
public sealed record TorchSelfTest(string TorchSharpVersion, string Device, int Threads, bool Passed, string Description);

/// <summary>Entry point for checks on the native tensor runtime.</summary>
public static class TorchRuntime
{
    /// <summary>Multiplies two small matrices in libtorch and compares with a managed computation.</summary>
    public static TorchSelfTest SelfTest()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, new long[] { 2, 3 });
        var b = tensor(new float[] { 7, 8, 9, 10, 11, 12 }, new long[] { 3, 2 });
        var product = matmul(a, b).data<float>().ToArray();
        float[] expected = { 58, 64, 139, 154 };
        var passed = product.SequenceEqual(expected);
        var version = typeof(torch).Assembly.GetName().Version?.ToString() ?? "unknown";
        var description = passed
            ? $"2x3 @ 3x2 matmul = [{string.Join(", ", product)}] (ok)"
            : $"matmul gave [{string.Join(", ", product)}], expected [{string.Join(", ", expected)}]";
        return new TorchSelfTest(version, "cpu", get_num_threads(), passed, description);
    }
}
