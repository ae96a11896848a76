using System.Reflection;
using Tsuzumi.Deployment.Tests.Manifests;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>
/// Where the built service assemblies are. This project builds the services (project references that reference no
/// assembly) and records each output path at build time, so `dotnet test` alone is enough and Debug, Release or an
/// artifacts path all work; a service built by hand under services/*/bin is the fallback.
/// </summary>
internal static class ServiceAssemblies
{
    /// <summary>The path of <c>Tsuzumi.{service}.dll</c>, e.g. service <c>Silo</c>.</summary>
    public static string Find(string service)
    {
        var name = $"Tsuzumi.{service}";
        var recorded = typeof(ServiceAssemblies).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .FirstOrDefault(attribute => attribute.Key == $"ServiceAssembly:{name}")?.Value;
        if (recorded is not null && File.Exists(recorded)) return recorded;
        var built = new DirectoryInfo(DeploymentFiles.ServiceProjectFolder(service)) is { Exists: true } folder
            ? folder.EnumerateFiles($"{name}.dll", SearchOption.AllDirectories)
                .Where(file => file.FullName.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                    && File.Exists(Path.ChangeExtension(file.FullName, ".runtimeconfig.json")))
                .OrderByDescending(file => file.LastWriteTimeUtc)
                .FirstOrDefault()
            : null;
        return built?.FullName ?? throw new InvalidOperationException(
            $"{name}.dll was not built (recorded: {recorded ?? "none"}); build tests/Tsuzumi.Deployment.Tests, which builds the services.");
    }
}
