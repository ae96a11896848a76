using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace Tsuzumi.Deployment.Tests.Manifests;

/// <summary>The parts of the Compose specification the constellation uses, as a typed model (anchors and merge keys resolved).</summary>
internal sealed class ComposeFile
{
    public string? Name { get; set; }

    public Dictionary<string, ComposeService> Services { get; set; } = [];

    public Dictionary<string, object?> Volumes { get; set; } = [];

    public static ComposeFile Load(string path)
    {
        var deserializer = new DeserializerBuilder()
            .WithNamingConvention(UnderscoredNamingConvention.Instance)
            .IgnoreUnmatchedProperties()
            .Build();
        using var reader = new StreamReader(path);
        // Merge keys (<<: *silo) are YAML 1.1; the merging parser resolves them as Compose does.
        return deserializer.Deserialize<ComposeFile>(new MergingParser(new Parser(reader)));
    }
}

internal sealed class ComposeService
{
    public string? Image { get; set; }

    public ComposeBuild? Build { get; set; }

    public Dictionary<string, string> Environment { get; set; } = [];

    public List<string> Volumes { get; set; } = [];

    public List<string> Ports { get; set; } = [];

    public Dictionary<string, ComposeDependency> DependsOn { get; set; } = [];

    public ComposeHealthCheck? Healthcheck { get; set; }

    public List<string> Profiles { get; set; } = [];

    public string? NetworkMode { get; set; }

    public List<string> Command { get; set; } = [];

    /// <summary>The container path a host path (relative to the compose file) is mounted at, if any.</summary>
    public (string Host, string Container, bool ReadOnly)[] Mounts => Volumes
        .Select(volume => volume.Split(':'))
        .Select(parts => (parts[0], parts[1], parts.Length > 2 && parts[2] == "ro"))
        .ToArray();
}

internal sealed class ComposeBuild
{
    public string? Context { get; set; }

    public string? Dockerfile { get; set; }

    public Dictionary<string, string> Args { get; set; } = [];
}

internal sealed class ComposeDependency
{
    public string? Condition { get; set; }
}

internal sealed class ComposeHealthCheck
{
    public List<string> Test { get; set; } = [];
}
