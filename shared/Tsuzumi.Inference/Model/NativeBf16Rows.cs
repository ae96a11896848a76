using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// The bf16 few-row kernel in <c>Native/bf16_rows.c</c> (AVX512-BF16 <c>vdpbf16ps</c>, which .NET 10 does not expose):
/// a batch of 2–16 bf16 decode rows at about twice the speed of widening to fp32 FMAs. Present only where the build
/// found gcc on Linux x64 and the CPU reports AVX512_BF16; otherwise <see cref="Available"/> is false and batches go
/// to libtorch, as before.
/// </summary>
internal static unsafe class NativeBf16Rows
{
    private const string LibraryFile = "libtsuzumi_bf16.so";

    private static readonly delegate* unmanaged<ushort*, ushort*, int, ushort*, int, int, int, void> Rows = Load();

    public static bool Available => Rows != null;

    /// <summary>y[i, r] = W[r,:]·x[i,:] for weight rows r in [0, count), input rows i in [0, inputs) (bf16 row-major), y's rows <paramref name="outputs"/> apart.</summary>
    public static void Multiply(ushort* weights, ushort* x, int inputs, ushort* y, int outputs, int count, int columns) =>
        Rows(weights, x, inputs, y, outputs, count, columns);

    private static delegate* unmanaged<ushort*, ushort*, int, ushort*, int, int, int, void> Load()
    {
        // CPUID leaf 7 sub-leaf 1, EAX bit 5: AVX512_BF16 (the OS-enabled AVX-512 state is what Avx512F.IsSupported checks).
        if (!Avx512F.IsSupported || (X86Base.CpuId(7, 1).Eax & (1 << 5)) == 0) return null;
        var path = Path.Combine(AppContext.BaseDirectory, LibraryFile);
        if (!File.Exists(path) || !NativeLibrary.TryLoad(path, out var library)) return null;
        return NativeLibrary.TryGetExport(library, "tsuzumi_bf16_rows", out var address)
            ? (delegate* unmanaged<ushort*, ushort*, int, ushort*, int, int, int, void>)address
            : null;
    }
}
