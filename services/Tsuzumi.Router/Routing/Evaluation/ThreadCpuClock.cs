using System.Runtime.InteropServices;

namespace Tsuzumi.Router.Routing.Evaluation;

/// <summary>
/// CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>). Wall-clock latency on a shared machine
/// includes waiting for a core; this is the work the decision itself costs. ONNX Runtime runs on the calling thread
/// with one intra-op thread, so the embedding is included.
/// </summary>
public static partial class ThreadCpuClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool IsSupported { get; } = OperatingSystem.IsLinux() && TryRead(out _);

    public static double NowMilliseconds() => IsSupported && TryRead(out var milliseconds) ? milliseconds : double.NaN;

    private static bool TryRead(out double milliseconds)
    {
        milliseconds = double.NaN;
        try
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out var time) != 0) return false;
            milliseconds = time.Seconds * 1e3 + time.Nanoseconds / 1e6;
            return true;
        }
        catch (Exception error) when (error is DllNotFoundException or EntryPointNotFoundException)
        {
            return false;
        }
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clockId, out TimeSpec time);
}
