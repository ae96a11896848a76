using System.Diagnostics;
using k8s;
using k8s.Models;
using YamlDotNet.RepresentationModel;

namespace Tsuzumi.Deployment.Tests.Manifests;

/// <summary>
/// Kubernetes objects read with the official client's typed models (strict: an unknown or misspelt field is an error).
/// Dapr components are not Kubernetes built-ins and are kept aside as YAML.
/// </summary>
internal sealed class KubernetesManifests
{
    private KubernetesManifests(IReadOnlyList<object> objects, IReadOnlyList<YamlMappingNode> daprComponents)
    {
        Objects = objects;
        DaprComponents = daprComponents;
    }

    public IReadOnlyList<object> Objects { get; }

    public IReadOnlyList<YamlMappingNode> DaprComponents { get; }

    public IEnumerable<T> OfType<T>() => Objects.OfType<T>();

    public V1Deployment Deployment(string name) => Single<V1Deployment>(name, deployment => deployment.Metadata.Name);

    public T Single<T>(string name, Func<T, string> nameOf) =>
        OfType<T>().SingleOrDefault(item => nameOf(item) == name) ?? throw new Xunit.Sdk.XunitException($"no {typeof(T).Name} named {name}");

    /// <summary>Every file the base kustomization lists, as written (before kustomize).</summary>
    public static KubernetesManifests LoadBase()
    {
        var kustomization = Kustomization.Load(DeploymentFiles.KubernetesBase);
        return Parse(kustomization.Resources.Select(resource => File.ReadAllText(Path.Combine(DeploymentFiles.KubernetesBase, resource))));
    }

    /// <summary>An overlay rendered by <c>kubectl kustomize</c>; the test is skipped where kubectl is not installed.</summary>
    public static KubernetesManifests RenderOverlay(string overlay)
    {
        var kubectl = FindOnPath("kubectl");
        if (kubectl is null) Xunit.Assert.Skip("kubectl is not installed, so overlays cannot be rendered here (the base is still checked)");
        var start = new ProcessStartInfo(kubectl, ["kustomize", DeploymentFiles.KubernetesOverlay(overlay)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60))) { process.Kill(); throw new TimeoutException("kubectl kustomize took over a minute"); }
        Xunit.Assert.True(process.ExitCode == 0, $"kubectl kustomize {overlay} failed: {error.Result}");
        return Parse([output.Result]);
    }

    public static KubernetesManifests Parse(IEnumerable<string> yamlTexts)
    {
        var objects = new List<object>();
        var components = new List<YamlMappingNode>();
        foreach (var text in yamlTexts)
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            var kubernetesDocuments = new List<string>();
            foreach (var document in stream.Documents)
            {
                if (document.RootNode is not YamlMappingNode root) continue;
                if (root.Children.TryGetValue("apiVersion", out var apiVersion) && apiVersion.ToString().StartsWith("dapr.io/", StringComparison.Ordinal))
                {
                    components.Add(root);
                    continue;
                }
                var single = new YamlStream(new YamlDocument(root));
                var writer = new StringWriter();
                single.Save(writer, assignAnchors: false);
                kubernetesDocuments.Add(writer.ToString());
            }
            foreach (var document in kubernetesDocuments)
                objects.AddRange(KubernetesYaml.LoadAllFromString(document, typeMap: null, strict: true));
        }
        return new KubernetesManifests(objects, components);
    }

    private static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, program))
            .FirstOrDefault(File.Exists);
}

/// <summary>The fields of a kustomization.yaml the checks need.</summary>
internal sealed class Kustomization
{
    public required string Folder { get; init; }

    public List<string> Resources { get; init; } = [];

    /// <summary>Files named by patches, configMapGenerator and secretGenerator entries.</summary>
    public List<string> Files { get; init; } = [];

    public List<string> PatchFiles { get; init; } = [];

    public List<string> GeneratedConfigMaps { get; init; } = [];

    public List<string> GeneratedSecrets { get; init; } = [];

    /// <summary>Each generated ConfigMap's file entries as written: <c>key=path</c> (the key is the mounted file name).</summary>
    public Dictionary<string, List<string>> ConfigMapFiles { get; init; } = [];

    public static Kustomization Load(string folder)
    {
        var stream = new YamlStream();
        stream.Load(new StringReader(File.ReadAllText(Path.Combine(folder, "kustomization.yaml"))));
        var root = (YamlMappingNode)stream.Documents[0].RootNode;
        var result = new Kustomization { Folder = folder };
        result.Resources.AddRange(Sequence(root, "resources").Select(node => node.ToString()));
        foreach (var patch in Sequence(root, "patches").OfType<YamlMappingNode>())
            if (patch.Children.TryGetValue("path", out var path)) result.PatchFiles.Add(path.ToString());
        result.Files.AddRange(result.PatchFiles);
        foreach (var (generators, names) in new[] { ("configMapGenerator", result.GeneratedConfigMaps), ("secretGenerator", result.GeneratedSecrets) })
        {
            foreach (var generator in Sequence(root, generators).OfType<YamlMappingNode>())
            {
                var name = generator.Children[new YamlScalarNode("name")].ToString();
                names.Add(name);
                foreach (var file in Sequence(generator, "files")) result.Files.Add(file.ToString().Split('=')[^1]);
                if (generators == "configMapGenerator") result.ConfigMapFiles[name] = [.. Sequence(generator, "files").Select(file => file.ToString())];
            }
        }
        return result;
    }

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode node, string key) =>
        node.Children.TryGetValue(key, out var value) && value is YamlSequenceNode sequence ? sequence.Children : [];
}
