namespace Tsuzumi.Silo.AdapterLifecycle;

/// <summary>Configuration section <c>AdapterLifecycle</c>.</summary>
public sealed class AdapterLifecycleOptions
{
    public const string Section = "AdapterLifecycle";

    /// <summary>Where fetched versions are placed, one folder per specialist and version (writable; relative to the content root).</summary>
    public string Directory { get; set; } = "adapters";

    /// <summary>Largest archive accepted.</summary>
    public long MaxArchiveBytes { get; set; } = 2L << 30;

    /// <summary>Longest a download may take.</summary>
    public TimeSpan DownloadTimeout { get; set; } = TimeSpan.FromMinutes(10);
}
