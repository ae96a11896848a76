namespace Tsuzumi.Catalog.Tests;

/// <summary>A throw-away folder holding a catalog file, a stand-in model folder and adapter folders it can point at.</summary>
internal sealed class CatalogFolder : IDisposable
{
    public CatalogFolder()
    {
        Directory.CreateDirectory(Path.Combine(Root, "models", "base"));
        foreach (var adapter in new[] { "finance", "acme" })
        {
            var folder = Directory.CreateDirectory(Path.Combine(Root, "adapters", adapter)).FullName;
            File.WriteAllText(Path.Combine(folder, "adapter_config.json"), "{}");
        }
        File.WriteAllBytes(Path.Combine(Root, "adapters", "legal.gguf"), "GGUF"u8.ToArray());
    }

    public string Root { get; } = Directory.CreateTempSubdirectory("tsuzumi-catalog-").FullName;

    public string CatalogPath => Path.Combine(Root, "constellation.json");

    public string Write(string json)
    {
        File.WriteAllText(CatalogPath, json);
        return CatalogPath;
    }

    /// <summary>A catalog with one base model and the given specialist entries (JSON objects).</summary>
    public static string Catalog(params string[] specialists) => $$"""
        {
          "baseModels": [ { "id": "base", "path": "models/base" } ],
          "routing": { "topK": 2, "threshold": 0.3, "fallback": "general" },
          "specialists": [ {{string.Join(",\n", specialists)}} ]
        }
        """;

    public static string Specialist(string id, string adapters = "[]", string tenants = """["*"]""", string extra = "") => $$"""
        {
          "id": "{{id}}", "description": "{{id}} questions", "examples": ["a question about {{id}}"],
          "baseModel": "base", "adapters": {{adapters}}, "systemPrompt": "You answer {{id}} questions.",
          "tenants": {{tenants}}{{extra}}
        }
        """;

    public void Dispose() => Directory.Delete(Root, recursive: true);
}
