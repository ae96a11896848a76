using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tsuzumi.Inference.Runtime;

/// <summary>
/// libtorch allocates tensor storage with glibc's malloc. By default glibc hands freed memory at the top of the heap back
/// to the OS above 128 KiB, and serves blocks above a (moving) threshold with their own mmap, so a tensor freed and
/// allocated again — an adapter unloaded and loaded, a step's activations — page-faults all its memory back in. That
/// tripled an adapter's cold load (p50 19 → 60 ms for a rank-16 adapter of the 0.5B benchmark model once the bf16
/// adapter copies changed the heap's layout, docs/benchmarks.md). So, on Linux, blocks up to 32 MiB come from the heap
/// and up to 128 MiB of free memory at its top stays mapped, unless the user set glibc's own variables.
/// </summary>
internal static partial class NativeHeap
{
    private const int TrimThreshold = -1; // M_TRIM_THRESHOLD
    private const int MmapThreshold = -3; // M_MMAP_THRESHOLD

#pragma warning disable CA2255 // before libtorch allocates its first tensor, whichever entry point the host uses
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void KeepFreedTensorMemoryMapped()
    {
        if (!OperatingSystem.IsLinux() || RuntimeInformation.RuntimeIdentifier.Contains("musl", StringComparison.Ordinal)) return;
        if (Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_") is null) _ = Configure(TrimThreshold, 128 << 20);
        if (Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_") is null) _ = Configure(MmapThreshold, 32 << 20);
    }

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int Configure(int parameter, int value);
}
