using System.Text.Json.Nodes;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Tests.Formats.HuggingFace;

/// <summary>Tiny random-weight Llama-family models made by the tests themselves, and folders to hold them.</summary>
internal static class SyntheticModel
{
    public static LlamaConfig Config(string modelType = "llama", bool tied = false, RopeLayout layout = RopeLayout.HalfSplit) => new()
    {
        ModelType = modelType,
        VocabSize = 64,
        HiddenSize = 32,
        IntermediateSize = 48,
        NumHiddenLayers = 2,
        NumAttentionHeads = 4,
        NumKeyValueHeads = 2,
        MaxPositionEmbeddings = 128,
        RmsNormEps = 1e-5,
        RopeTheta = 10000,
        TieWordEmbeddings = tied,
        AttentionBias = modelType == "qwen2",
        RopeLayout = layout,
        BosTokenId = 1,
        EosTokenId = 2,
    };

    /// <summary>Every tensor <paramref name="config"/> implies, filled from a seeded generator.</summary>
    public static Dictionary<string, float[]> Weights(LlamaConfig config, int seed = 42)
    {
        var random = new Random(seed);
        return HuggingFaceTensorLayout.Expected(config).ToDictionary(
            tensor => tensor.Name,
            tensor => Enumerable.Range(0, (int)tensor.Shape.Aggregate(1L, (a, b) => a * b))
                .Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray());
    }

    public static Checkpoint Checkpoint(LlamaConfig config, Dictionary<string, float[]> weights, string? chatTemplate = null)
    {
        var shapes = HuggingFaceTensorLayout.Expected(config).ToDictionary(tensor => tensor.Name, tensor => tensor.Shape);
        var tensors = weights.ToDictionary(
            pair => pair.Key,
            pair => new CheckpointTensor(pair.Key, shapes[pair.Key], "F32", () => (float[])pair.Value.Clone()));
        return new Checkpoint("synthetic", config, tensors, Tokenizer: null, chatTemplate);
    }

    /// <summary>A folder with <paramref name="configJson"/> and a model.safetensors of <paramref name="tensors"/> (name → shape, values).</summary>
    public static void WriteFolder(string folder, JsonObject configJson, IEnumerable<(string Name, long[] Shape, float[] Values)> tensors)
    {
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "config.json"), configJson.ToJsonString());
        SafetensorsWriter.Write(Path.Combine(folder, "model.safetensors"),
            tensors.Select(tensor => new SafetensorsTensorToWrite(tensor.Name, tensor.Shape, SafetensorsDtype.F32, () => tensor.Values)));
    }

    public static IEnumerable<(string Name, long[] Shape, float[] Values)> ExpectedTensors(LlamaConfig config, int seed = 42)
    {
        var weights = Weights(config, seed);
        return HuggingFaceTensorLayout.Expected(config).Select(tensor => (tensor.Name, tensor.Shape, weights[tensor.Name]));
    }

    public static JsonObject ConfigJson(LlamaConfig config) => HuggingFaceConfig.ToJson(config, SafetensorsDtype.F32);
}

/// <summary>A temporary folder deleted at the end of a test.</summary>
internal sealed class TemporaryFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tsuzumi-hf-").FullName;

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
