using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// The bf16 kernels in <c>Native/bf16_rows.c</c> (AVX512-BF16 <c>vdpbf16ps</c>, which .NET 10 does not expose): a batch
/// of 2–16 bf16 decode rows at about twice the speed of widening to fp32 FMAs, and each decode row's own low-rank
/// adapter correction. Present only where the build found gcc on Linux x64 and the CPU reports AVX512_BF16; otherwise
/// <see cref="Available"/> is false and batches go to libtorch, as before.
/// </summary>
internal static unsafe class NativeBf16Rows
{
    private const string LibraryFile = "libtsuzumi_bf16.so";

    private static readonly (nint Rows, nint LoraRow) Exports = Load();

    public static bool Available => Exports.Rows != 0 && Exports.LoraRow != 0;

    /// <summary>y[i, r] = W[r,:]·x[i,:] for weight rows r in [0, count), input rows i in [0, inputs) (bf16 row-major), y's rows <paramref name="outputs"/> apart.</summary>
    public static void Multiply(ushort* weights, ushort* x, int inputs, ushort* y, int outputs, int count, int columns) =>
        ((delegate* unmanaged<ushort*, ushort*, int, ushort*, int, int, int, void>)Exports.Rows)(weights, x, inputs, y, outputs, count, columns);

    /// <summary>
    /// y[c] += Σ_j (scale·A[j,:]·x)·Bᵀ[j, c] for one token: x [columns], A [rank, columns], Bᵀ [rank, outputs], y [outputs],
    /// all bf16; fp32 inside, y rounded once.
    /// </summary>
    public static void AddLowRank(ushort* x, int columns, ushort* a, ushort* bTransposed, int rank, float scale, ushort* y, int outputs) =>
        ((delegate* unmanaged<ushort*, int, ushort*, ushort*, int, float, ushort*, int, void>)Exports.LoraRow)(x, columns, a, bTransposed, rank, scale, y, outputs);

    private static (nint, nint) Load()
    {
        // CPUID leaf 7 sub-leaf 1, EAX bit 5: AVX512_BF16 (the OS-enabled AVX-512 state is what Avx512F.IsSupported checks).
        if (!Avx512F.IsSupported || (X86Base.CpuId(7, 1).Eax & (1 << 5)) == 0) return (0, 0);
        var path = Path.Combine(AppContext.BaseDirectory, LibraryFile);
        if (!File.Exists(path) || !NativeLibrary.TryLoad(path, out var library)) return (0, 0);
        return NativeLibrary.TryGetExport(library, "tsuzumi_bf16_rows", out var rows)
               && NativeLibrary.TryGetExport(library, "tsuzumi_bf16_lora_row", out var loraRow)
            ? (rows, loraRow)
            : (0, 0);
    }
}
