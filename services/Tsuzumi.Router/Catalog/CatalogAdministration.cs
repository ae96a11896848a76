using Tsuzumi.Catalog;

namespace Tsuzumi.Router.Catalog;

/// <summary>The outcome of an admin's catalog change: the new version, or why it was refused (nothing was written).</summary>
public sealed record CatalogChange(string? Version, IReadOnlyList<CatalogProblem> Problems, bool ReadOnly = false)
{
    public bool Accepted => Version is not null;
}

/// <summary>
/// Replaces the catalog file for an admin: validated first (a catalog with any problem is refused whole), written
/// atomically (a temporary file renamed over the old one, so a reader never sees half a file), then reloaded so it
/// takes effect at once; every other service's <see cref="CatalogMonitor"/> picks up the same file.
/// </summary>
public sealed class CatalogAdministration(CatalogMonitor monitor, ILogger<CatalogAdministration> logger)
{
    private readonly Lock writing = new();

    public CatalogChange Replace(byte[] utf8Json)
    {
        var folder = Path.GetDirectoryName(monitor.FilePath)!;
        CatalogLoadResult parsed;
        try
        {
            parsed = CatalogLoader.Parse(utf8Json, folder, "catalog", monitor.VerifiesFiles);
        }
        catch (CatalogException error)
        {
            return new CatalogChange(null, [new CatalogProblem(null, error.Message)]);
        }
        if (parsed.Problems.Count > 0) return new CatalogChange(null, parsed.Problems);

        lock (writing)
        {
            var temporary = Path.Combine(folder, $".{Path.GetFileName(monitor.FilePath)}.{Guid.NewGuid():N}.tmp");
            try
            {
                File.WriteAllBytes(temporary, utf8Json);
                File.Move(temporary, monitor.FilePath, overwrite: true);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                TryDelete(temporary);
                logger.LogWarning(error, "The catalog at {Path} could not be replaced", monitor.FilePath);
                return new CatalogChange(null, [new CatalogProblem(null, $"the catalog file cannot be written here ({error.Message}); change it where it is deployed from")], ReadOnly: true);
            }
            monitor.Reload();
        }
        logger.LogInformation("Catalog replaced by an admin: version {Version}", parsed.Catalog.Version);
        return new CatalogChange(monitor.Current.Version, []);
    }

    private static void TryDelete(string path)
    {
        try { File.Delete(path); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}
