namespace Tsuzumi.Testing;

/// <summary>Where the repository and the read-only shared data beside it live, as seen from a test.</summary>
public static class RepositoryPaths
{
    /// <summary>Environment variable that overrides the location of the shared data folder.</summary>
    public const string SharedDirectoryVariable = "TSUZUMI_SHARED_DIR";

    /// <summary>The repository root: recorded at build time, else the nearest folder above the test assembly holding the solution file.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The shared data folder: <c>$TSUZUMI_SHARED_DIR</c>, else <c>../shared</c> beside the repository.</summary>
    public static string SharedDirectory =>
        Environment.GetEnvironmentVariable(SharedDirectoryVariable) is { Length: > 0 } overridden
            ? Path.GetFullPath(overridden)
            : Path.GetFullPath(Path.Combine(Root, "..", "shared"));

    /// <summary>A file under the shared folder; the test is skipped, with the reason, when it is absent.</summary>
    public static string RequireSharedFile(string relativePath)
    {
        var path = Path.Combine(SharedDirectory, relativePath);
        if (!File.Exists(path) && !Directory.Exists(path))
            Xunit.Assert.Skip($"shared data '{relativePath}' not found under {SharedDirectory} (set {SharedDirectoryVariable} to its folder)");
        return path;
    }

    private static string FindRoot()
    {
        var recorded = typeof(RepositoryPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == "RepositoryRoot")?.Value;
        if (recorded is not null && File.Exists(Path.Combine(recorded, "Tsuzumi.Constellation.sln"))) return Path.GetFullPath(recorded);
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Tsuzumi.Constellation.sln"))) return directory.FullName;
        }
        throw new InvalidOperationException($"No Tsuzumi.Constellation.sln above {AppContext.BaseDirectory}.");
    }
}
