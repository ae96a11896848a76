using System.Text.Json.Nodes;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Silo.Tests;

/// <summary>
/// A catalog in a temp folder over stories260K (the real tiny Llama in ../shared): small random LoRA adapters saved
/// in PEFT format, a broken one, and a JSON file the tests rewrite to exercise hot reload.
/// </summary>
public sealed class SpecialistCatalogFiles : IDisposable
{
    public const string BaseModel = "stories";

    /// <summary>Declared in the catalog, but no silo of the test cluster hosts it.</summary>
    public const string UnhostedBaseModel = "stories-unhosted";

    public SpecialistCatalogFiles(string modelPath, LlamaConfig config)
    {
        ModelPath = modelPath;
        Folder = Directory.CreateTempSubdirectory("tsuzumi-silo-").FullName;
        CatalogPath = Path.Combine(Folder, "constellation.json");
        SaveRandomAdapter(config, Path.Combine(Folder, "adapters", "alpha"), seed: 1);
        SaveRandomAdapter(config, Path.Combine(Folder, "adapters", "beta"), seed: 2);
        // A broken adapter: a valid config beside weights that are not safetensors at all.
        SaveRandomAdapter(config, Path.Combine(Folder, "adapters", "broken"), seed: 3);
        File.WriteAllText(Path.Combine(Folder, "adapters", "broken", PeftAdapterFormat.WeightsFileName), "this is not a safetensors file");
        Write(DefaultSpecialists());
    }

    public string ModelPath { get; }

    public string Folder { get; }

    public string CatalogPath { get; }

    /// <summary>The specialists every test can count on; hot-reload tests add to them and put them back.</summary>
    public static IReadOnlyList<JsonObject> DefaultSpecialists() =>
    [
        Specialist("alpha", "adapters/alpha"),
        Specialist("beta", "adapters/beta"),
        Specialist("gamma", adapter: null),
        Specialist("broken", "adapters/broken"),
        Specialist("acme-rules", adapter: null, tenants: ["acme"]),
        Specialist("orphan", adapter: null, baseModel: UnhostedBaseModel),
    ];

    public static JsonObject Specialist(string id, string? adapter, string[]? tenants = null, string baseModel = BaseModel,
        string systemPrompt = "Once upon a time", int maxTokens = 24) => new()
    {
        ["id"] = id,
        ["description"] = $"test specialist {id}",
        ["examples"] = new JsonArray("a story"),
        ["baseModel"] = baseModel,
        ["adapters"] = adapter is null ? new JsonArray() : new JsonArray(new JsonObject { ["path"] = adapter, ["weight"] = 1.0 }),
        ["systemPrompt"] = systemPrompt,
        ["tenants"] = new JsonArray((tenants ?? ["*"]).Select(tenant => (JsonNode)tenant).ToArray()),
        ["generation"] = new JsonObject { ["maxTokens"] = maxTokens, ["temperature"] = 0 },
    };

    /// <summary>Replaces the catalog file whole (write to a temp file, then rename), as a ConfigMap update does.</summary>
    public void Write(IEnumerable<JsonNode> specialists)
    {
        var catalog = new JsonObject
        {
            ["baseModels"] = new JsonArray(
                new JsonObject { ["id"] = BaseModel, ["path"] = ModelPath, ["dtype"] = "f32", ["chatTemplate"] = "plain" },
                new JsonObject { ["id"] = UnhostedBaseModel, ["path"] = ModelPath, ["dtype"] = "f32", ["chatTemplate"] = "plain" }),
            ["routing"] = new JsonObject { ["fallback"] = "gamma" },
            ["specialists"] = new JsonArray(specialists.Select(node => node.DeepClone()).ToArray()),
        };
        var staging = CatalogPath + ".tmp";
        File.WriteAllText(staging, catalog.ToJsonString());
        File.Move(staging, CatalogPath, overwrite: true);
    }

    private static void SaveRandomAdapter(LlamaConfig config, string directory, int seed)
    {
        var generator = new Generator((ulong)seed);
        var pairs = new Dictionary<string, LoraPair>();
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            foreach (var target in LoraTargets.Layers)
            {
                var (inFeatures, outFeatures) = LoraTargets.Shape(config, target);
                // Both factors random (a fresh PEFT adapter has B = 0) so the adapter really changes the output.
                pairs[LoraTargets.ModulePath(layer, target)] = new LoraPair(
                    randn(new long[] { 4, inFeatures }, generator: generator).Times(0.1),
                    randn(new long[] { outFeatures, 4 }, generator: generator).Times(0.1));
            }
        }
        using var adapter = new LoraAdapter(Path.GetFileName(directory), $"seed{seed}", new LoraConfig(4, 8, LoraTargets.Layers), pairs);
        PeftAdapterFormat.Save(adapter, directory);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A silo may still hold a file open while the cluster shuts down; the temp folder is cleaned by the OS.
        }
    }
}
