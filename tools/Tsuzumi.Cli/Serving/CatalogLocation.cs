namespace Tsuzumi.Cli.Serving;

/// <summary>Where the catalog is when none is named: config/constellation.json in the working folder or above it, else above the program.</summary>
internal static class CatalogLocation
{
    public const string Default = "config/constellation.json";

    public static string Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured)) return Path.GetFullPath(configured);
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var folder = new DirectoryInfo(start); folder is not null; folder = folder.Parent)
            {
                var candidate = Path.Combine(folder.FullName, Default);
                if (File.Exists(candidate)) return candidate;
            }
        }
        throw new FileNotFoundException($"no {Default} here or above; name the catalog with --config");
    }
}
