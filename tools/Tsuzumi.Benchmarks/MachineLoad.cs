namespace Tsuzumi.Benchmarks;

/// <summary>What else the machine was doing: every benchmark prints it beside its figures.</summary>
internal static class MachineLoad
{
    /// <summary>The 1, 5 and 15-minute load averages, or "n/a" where the OS has no /proc/loadavg.</summary>
    public static string Average() =>
        File.Exists("/proc/loadavg") ? string.Join(" ", File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "n/a";
}
