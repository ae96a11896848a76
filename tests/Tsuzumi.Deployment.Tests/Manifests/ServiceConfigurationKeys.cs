using System.Text.Json;
using System.Text.RegularExpressions;

namespace Tsuzumi.Deployment.Tests.Manifests;

/// <summary>
/// The configuration keys a service actually reads, found in its source (and the shared projects it uses): literal
/// keys (<c>configuration["Orleans:Clustering:Redis"]</c>), connection string names, option classes bound from a
/// section (<c>const string Section = "Catalog"</c> with a public <c>Path</c> property) and shipped JSON defaults. An
/// environment variable a manifest sets must name one of them, or the setting silently does nothing.
/// </summary>
internal sealed partial class ServiceConfigurationKeys
{
    /// <summary>
    /// Keys the ASP.NET Core host itself reads from the environment, and the clustering keys Orleans reads from its own
    /// "Orleans" section (our code only checks ProviderType, to decide on localhost clustering).
    /// </summary>
    private static readonly HashSet<string> HostKeys = new(StringComparer.OrdinalIgnoreCase)
    {
        "ASPNETCORE_URLS", "ASPNETCORE_HTTP_PORTS", "ASPNETCORE_ENVIRONMENT", "DOTNET_gcServer", "OTEL_EXPORTER_OTLP_ENDPOINT",
        "Orleans__Clustering__ConnectionString",
    };

    private readonly HashSet<string> literals;
    private readonly HashSet<string> jsonKeys;
    private readonly Dictionary<string, HashSet<string>> boundSections;
    private readonly bool readsConnectionStrings;

    private ServiceConfigurationKeys(HashSet<string> literals, HashSet<string> jsonKeys, Dictionary<string, HashSet<string>> boundSections, bool readsConnectionStrings)
    {
        this.literals = literals;
        this.jsonKeys = jsonKeys;
        this.boundSections = boundSections;
        this.readsConnectionStrings = readsConnectionStrings;
    }

    public static ServiceConfigurationKeys Of(string service) => FromFolders(
        DeploymentFiles.ServiceProjectFolder(service),
        DeploymentFiles.ServiceProjectFolder("ServiceDefaults"),
        Path.Combine(DeploymentFiles.Root, "shared", "Tsuzumi.Catalog"));

    public static ServiceConfigurationKeys FromFolders(params string[] folders)
    {
        var literals = new HashSet<string>(StringComparer.Ordinal);
        var jsonKeys = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var boundSections = new Dictionary<string, HashSet<string>>(StringComparer.OrdinalIgnoreCase);
        var readsConnectionStrings = false;
        foreach (var file in folders.SelectMany(folder => Directory.EnumerateFiles(folder, "*.*", SearchOption.AllDirectories)))
        {
            if (file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}") || file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")) continue;
            if (file.EndsWith(".cs", StringComparison.Ordinal))
            {
                var source = File.ReadAllText(file);
                foreach (Match literal in StringLiteral().Matches(source)) literals.Add(literal.Groups[1].Value);
                readsConnectionStrings |= source.Contains("GetConnectionString(", StringComparison.Ordinal);
                foreach (Match section in SectionConstant().Matches(source))
                {
                    var properties = boundSections.TryGetValue(section.Groups[1].Value, out var known) ? known : boundSections[section.Groups[1].Value] = new(StringComparer.OrdinalIgnoreCase);
                    foreach (Match property in PublicProperty().Matches(source)) properties.Add(property.Groups[1].Value);
                }
            }
            else if (file.EndsWith(".json", StringComparison.Ordinal) && !Path.GetFileName(file).StartsWith("launchSettings", StringComparison.Ordinal))
            {
                using var document = JsonDocument.Parse(File.ReadAllText(file), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
                Flatten(document.RootElement, "", jsonKeys);
            }
        }
        return new ServiceConfigurationKeys(literals, jsonKeys, boundSections, readsConnectionStrings);
    }

    /// <summary>Whether setting environment variable <paramref name="name"/> reaches something this service reads.</summary>
    public bool Reads(string name)
    {
        if (HostKeys.Contains(name)) return true;
        if (!name.Contains("__", StringComparison.Ordinal)) return literals.Contains(name);
        var key = name.Replace("__", ":", StringComparison.Ordinal);
        if (literals.Contains(key) || jsonKeys.Contains(key)) return true;
        var segments = key.Split(':');
        if (segments is ["ConnectionStrings", var connection]) return readsConnectionStrings && literals.Contains(connection);
        return segments.Length == 2 && boundSections.TryGetValue(segments[0], out var properties) && properties.Contains(segments[1]);
    }

    private static void Flatten(JsonElement element, string prefix, HashSet<string> keys)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    var key = prefix.Length == 0 ? property.Name : $"{prefix}:{property.Name}";
                    keys.Add(key);
                    Flatten(property.Value, key, keys);
                }
                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in element.EnumerateArray()) Flatten(item, $"{prefix}:{index++}", keys);
                break;
        }
    }

    [GeneratedRegex("\"((?:[^\"\\\\\\r\\n]|\\\\.)*)\"")]
    private static partial Regex StringLiteral();

    [GeneratedRegex("const string Section(?:Name)? = \"([^\"]+)\"")]
    private static partial Regex SectionConstant();

    [GeneratedRegex(@"public\s+(?:required\s+)?[\w<>?,\[\]\s]+?\s+(\w+)\s*\{\s*get;")]
    private static partial Regex PublicProperty();
}
