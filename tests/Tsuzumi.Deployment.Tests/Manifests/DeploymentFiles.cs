using Tsuzumi.Testing;

namespace Tsuzumi.Deployment.Tests.Manifests;

/// <summary>Where the deployment files live in the repository, and the services they deploy.</summary>
internal static class DeploymentFiles
{
    public static string Root => RepositoryPaths.Root;

    public static string ComposeFile => Path.Combine(Root, "docker-compose.yml");

    public static string Dockerfile => Path.Combine(Root, "deploy", "docker", "Dockerfile");

    public static string KubernetesBase => Path.Combine(Root, "deploy", "k8s", "base");

    public static string KubernetesOverlay(string name) => Path.Combine(Root, "deploy", "k8s", "overlays", name);

    public static readonly string[] Overlays = ["dev", "prod"];

    public static string DaprComponents => Path.Combine(Root, "deploy", "dapr", "components");

    public static string RepositoryCatalog => Path.Combine(Root, "config", "constellation.json");

    /// <summary>The service a container image holds: <c>tsuzumi/silo</c> (or <c>registry/tsuzumi/silo:tag</c>) → <c>Silo</c>.</summary>
    public static string? ServiceOfImage(string? image)
    {
        if (image is null) return null;
        var name = image.Split('@')[0];
        var lastSlash = name.LastIndexOf('/');
        var colon = name.IndexOf(':', lastSlash + 1);
        if (colon >= 0) name = name[..colon];
        var segments = name.Split('/');
        if (segments.Length < 2 || segments[^2] != "tsuzumi") return null;
        var service = segments[^1];
        return service.Length == 0 ? null : char.ToUpperInvariant(service[0]) + service[1..];
    }

    /// <summary><c>services/Tsuzumi.{Service}</c>, which must hold <c>Tsuzumi.{Service}.csproj</c>.</summary>
    public static string ServiceProjectFolder(string service) => Path.Combine(Root, "services", $"Tsuzumi.{service}");

    public static bool ServiceProjectExists(string service) =>
        File.Exists(Path.Combine(ServiceProjectFolder(service), $"Tsuzumi.{service}.csproj"));
}
