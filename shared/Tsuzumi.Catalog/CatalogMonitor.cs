namespace Tsuzumi.Catalog;

/// <summary>
/// Watches a catalog file (or the ConfigMap it is mounted from) and reloads it on change. A reload that fails keeps
/// the last good catalog; invalid entries are reported and left out while the rest serve on.
/// </summary>
public sealed class CatalogMonitor : ICatalogSource, IDisposable
{
    private static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(200);

    private readonly string path;
    private readonly Action<CatalogProblem> report;
    private readonly bool verifyFiles;
    private readonly FileSystemWatcher watcher;
    private readonly Timer reloadTimer;
    private readonly Lock gate = new();
    private ConstellationCatalog current;

    /// <summary>Loads <paramref name="catalogPath"/> now (throwing <see cref="CatalogException"/> when it is unusable) and watches it.</summary>
    public CatalogMonitor(string catalogPath, Action<CatalogProblem> report) : this(catalogPath, report, verifyFiles: true) { }

    /// <summary>As above; <paramref name="verifyFiles"/> false skips the model and adapter file checks (routing-only services).</summary>
    public CatalogMonitor(string catalogPath, Action<CatalogProblem> report, bool verifyFiles)
    {
        path = Path.GetFullPath(catalogPath);
        this.report = report;
        this.verifyFiles = verifyFiles;
        var loaded = CatalogLoader.Load(path, verifyFiles);
        foreach (var problem in loaded.Problems) report(problem);
        current = loaded.Catalog;
        reloadTimer = new Timer(_ => Reload(), null, Timeout.Infinite, Timeout.Infinite);
        // Watch the folder, not the file: editors and Kubernetes replace files (ConfigMaps swap a symlinked folder).
        watcher = new FileSystemWatcher(Path.GetDirectoryName(path)!)
        {
            IncludeSubdirectories = false,
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        watcher.Changed += (_, _) => ScheduleReload();
        watcher.Created += (_, _) => ScheduleReload();
        watcher.Renamed += (_, _) => ScheduleReload();
        watcher.Deleted += (_, _) => ScheduleReload();
        watcher.EnableRaisingEvents = true;
    }

    public string FilePath => path;

    /// <summary>Whether model and adapter files are checked on every load.</summary>
    public bool VerifiesFiles => verifyFiles;

    public ConstellationCatalog Current => Volatile.Read(ref current);

    public event Action<ConstellationCatalog>? Changed;

    /// <summary>Reloads now; returns true when a new version took effect.</summary>
    public bool Reload()
    {
        lock (gate)
        {
            CatalogLoadResult loaded;
            try
            {
                loaded = CatalogLoader.Load(path, verifyFiles);
            }
            catch (CatalogException error)
            {
                report(new CatalogProblem(null, $"{error.Message}; the previous catalog keeps serving"));
                return false;
            }
            if (loaded.Catalog.Version == current.Version) return false;
            foreach (var problem in loaded.Problems) report(problem);
            Volatile.Write(ref current, loaded.Catalog);
        }
        Changed?.Invoke(Current);
        return true;
    }

    private void ScheduleReload() => reloadTimer.Change(Debounce, Timeout.InfiniteTimeSpan);

    public void Dispose()
    {
        watcher.Dispose();
        reloadTimer.Dispose();
    }
}
