using System.Text.Json;
using System.Text.Json.Nodes;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Formats.HuggingFace;

/// <summary>
/// Writes a <see cref="Checkpoint"/> as a folder transformers' <c>from_pretrained</c> loads: config.json,
/// generation_config.json, safetensors weights (sharded past <c>maxShardBytes</c>) and, when given, the tokenizer
/// files. A checkpoint in GGUF's adjacent-pair RoPE layout has its q/k rows put back in half-split order (see
/// <see cref="RotaryPermutation"/>) so transformers computes the same attention. Everything is written into a
/// temporary sibling folder that is moved into place at the end, so a failure leaves no half-written model.
/// </summary>
public static class HuggingFaceCheckpointWriter
{
    /// <summary>The default shard ceiling: 2 GB, as transformers counts (10^9 bytes per GB).</summary>
    public const long DefaultMaxShardBytes = 2_000_000_000;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <param name="directory">Must not exist yet, or be empty.</param>
    /// <param name="dtype">F32, BF16 or F16.</param>
    /// <param name="tokenizerJsonSourcePath">A tokenizer.json to copy in; a tokenizer_config.json and special_tokens_map.json beside it come along.</param>
    /// <exception cref="ModelFormatException">The checkpoint lacks a tensor its config implies, or has one of the wrong shape.</exception>
    /// <exception cref="ArgumentException">The dtype or configuration cannot be expressed for transformers.</exception>
    /// <exception cref="IOException">The target folder already has files in it.</exception>
    public static void Write(Checkpoint checkpoint, string directory, SafetensorsDtype dtype = SafetensorsDtype.F32,
        string? tokenizerJsonSourcePath = null, long maxShardBytes = DefaultMaxShardBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxShardBytes);
        var config = checkpoint.Config;
        var configJson = HuggingFaceConfig.ToJson(config, dtype); // also rejects a dtype transformers would not load
        var target = Path.GetFullPath(directory);
        if (Directory.Exists(target) && Directory.EnumerateFileSystemEntries(target).Any())
            throw new IOException($"{target} already has files in it; write a model into a new or empty folder");
        if (tokenizerJsonSourcePath is not null && !File.Exists(tokenizerJsonSourcePath))
            throw new FileNotFoundException("tokenizer.json to copy was not found", tokenizerJsonSourcePath);

        var tensors = TensorsToWrite(checkpoint, dtype);
        var staging = $"{target.TrimEnd(Path.DirectorySeparatorChar)}.tmp-{Guid.NewGuid():N}";
        Directory.CreateDirectory(staging);
        try
        {
            WriteJson(Path.Combine(staging, HuggingFaceFolder.ConfigFileName), configJson);
            WriteJson(Path.Combine(staging, HuggingFaceFolder.GenerationConfigFileName), new JsonObject
            {
                ["bos_token_id"] = config.BosTokenId,
                ["eos_token_id"] = config.EosTokenId,
            });
            WriteWeights(staging, tensors, maxShardBytes);
            WriteTokenizerFiles(staging, tokenizerJsonSourcePath, checkpoint.ChatTemplate);

            if (Directory.Exists(target)) Directory.Delete(target); // empty, checked above
            Directory.Move(staging, target);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>The tensors transformers expects, in its order, each converted lazily and un-permuted when needed.</summary>
    private static List<SafetensorsTensorToWrite> TensorsToWrite(Checkpoint checkpoint, SafetensorsDtype dtype)
    {
        var config = checkpoint.Config;
        var result = new List<SafetensorsTensorToWrite>();
        foreach (var (name, shape) in HuggingFaceTensorLayout.Expected(config))
        {
            if (!checkpoint.Tensors.TryGetValue(name, out var tensor))
                throw new ModelFormatException(checkpoint.SourcePath, name, "missing from the checkpoint, so it cannot be written");
            if (!tensor.Shape.SequenceEqual(shape))
                throw new ModelFormatException(checkpoint.SourcePath, name,
                    $"shape [{string.Join(", ", tensor.Shape)}] but the config implies [{string.Join(", ", shape)}]");

            Func<float[]> read = tensor.ReadFloat32;
            if (config.RopeLayout == RopeLayout.AdjacentPairs && HuggingFaceTensorLayout.RotaryHeadCount(name, config) is { } heads)
                read = () => RotaryPermutation.AdjacentPairsToHalfSplit(tensor.ReadFloat32(), shape, heads);
            result.Add(new SafetensorsTensorToWrite(name, shape, dtype, read));
        }
        return result;
    }

    /// <summary>One file when everything fits, else transformers' <c>model-0000i-of-0000n</c> shards plus an index.</summary>
    private static void WriteWeights(string folder, List<SafetensorsTensorToWrite> tensors, long maxShardBytes)
    {
        var metadata = new Dictionary<string, string> { ["format"] = "pt" };
        var shards = new List<List<SafetensorsTensorToWrite>> { new() };
        long shardBytes = 0;
        foreach (var tensor in tensors)
        {
            if (shards[^1].Count > 0 && shardBytes + tensor.ByteLength > maxShardBytes)
            {
                shards.Add([]);
                shardBytes = 0;
            }
            shards[^1].Add(tensor);
            shardBytes += tensor.ByteLength;
        }

        if (shards.Count == 1)
        {
            SafetensorsWriter.Write(Path.Combine(folder, HuggingFaceFolder.SingleWeightsFileName), tensors, metadata);
            return;
        }

        var weightMap = new JsonObject();
        for (var index = 0; index < shards.Count; index++)
        {
            var shardName = $"model-{index + 1:D5}-of-{shards.Count:D5}.safetensors";
            SafetensorsWriter.Write(Path.Combine(folder, shardName), shards[index], metadata);
            foreach (var tensor in shards[index]) weightMap[tensor.Name] = shardName;
        }
        WriteJson(Path.Combine(folder, HuggingFaceFolder.WeightsIndexFileName), new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = tensors.Sum(tensor => tensor.ByteLength) },
            ["weight_map"] = weightMap,
        });
    }

    private static void WriteTokenizerFiles(string folder, string? tokenizerJsonSourcePath, string? chatTemplate)
    {
        JsonObject? tokenizerConfig = null;
        if (tokenizerJsonSourcePath is not null)
        {
            File.Copy(tokenizerJsonSourcePath, Path.Combine(folder, HuggingFaceFolder.TokenizerJsonFileName));
            var sourceFolder = Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonSourcePath))!;
            var specialTokens = Path.Combine(sourceFolder, "special_tokens_map.json");
            if (File.Exists(specialTokens)) File.Copy(specialTokens, Path.Combine(folder, "special_tokens_map.json"));
            var sourceConfig = Path.Combine(sourceFolder, HuggingFaceFolder.TokenizerConfigFileName);
            if (File.Exists(sourceConfig))
            {
                tokenizerConfig = JsonNode.Parse(File.ReadAllBytes(sourceConfig)) as JsonObject
                    ?? throw new ModelFormatException(sourceConfig, null, "must be a JSON object");
            }
        }
        if (chatTemplate is not null && tokenizerConfig?["chat_template"] is null)
        {
            tokenizerConfig ??= new JsonObject();
            tokenizerConfig["chat_template"] = chatTemplate;
        }
        if (tokenizerConfig is not null)
            WriteJson(Path.Combine(folder, HuggingFaceFolder.TokenizerConfigFileName), tokenizerConfig);
    }

    private static void WriteJson(string path, JsonNode json) => File.WriteAllText(path, json.ToJsonString(Indented) + "\n");
}
