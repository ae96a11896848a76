using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Tsuzumi.Inference.Runtime;

/// <summary>
/// libtorch's OpenMP threads spin between parallel regions by default. Decoding runs hundreds of tiny regions per
/// token while .NET threads (JIT, GC, the host) share the same few cores, and the spinning starved them: stories260K
/// decoded at ~15 tok/s with spinning and ~280 tok/s without (2 cores, docs/benchmarks.md). So the wait policy is
/// made passive before libtorch loads, unless the user chose one.
/// </summary>
internal static partial class NativeThreading
{
    private const string WaitPolicy = "OMP_WAIT_POLICY";

#pragma warning disable CA2255 // must run before any TorchSharp call loads libgomp, whichever entry point the host uses
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void PreferPassiveOpenMpWaits()
    {
        if (!OperatingSystem.IsLinux() || Environment.GetEnvironmentVariable(WaitPolicy) is not null) return;
        // .NET keeps its own copy of the environment; libgomp reads the C library's, so set it there.
        _ = SetEnvironment(WaitPolicy, "PASSIVE", overwrite: 0);
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnvironment(string name, string value, int overwrite);
}
