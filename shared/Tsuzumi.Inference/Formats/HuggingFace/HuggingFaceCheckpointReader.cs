using System.Text.Json;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Inference.Formats.HuggingFace;

/// <summary>
/// Reads a Hugging Face model folder (config.json + safetensors weights, single or sharded) into a
/// <see cref="Checkpoint"/>. Strict: every tensor the config implies must be present with its exact shape, and any
/// tensor the model would not use is an error, so a mismatched folder fails on load rather than generating noise.
/// The tokenizer is left to the caller (see <see cref="HuggingFaceFolder.TokenizerJsonPath"/>).
/// </summary>
public static class HuggingFaceCheckpointReader
{
    /// <exception cref="ModelFormatException">Names the file and key or tensor at fault.</exception>
    public static Checkpoint Read(string directory) => Read(HuggingFaceFolder.Locate(directory));

    public static Checkpoint Read(HuggingFaceFolder folder)
    {
        var config = HuggingFaceConfig.Read(folder.ConfigPath);
        var openFiles = new List<SafetensorsFile>();
        try
        {
            var (sources, weightsDescription) = OpenWeights(folder, openFiles);
            var tensors = CheckAgainstConfig(config, sources, weightsDescription);
            var chatTemplate = ReadChatTemplate(folder);
            return new Checkpoint(folder.Directory, config, tensors, Tokenizer: null, chatTemplate)
            {
                OnDispose = () => openFiles.ForEach(file => file.Dispose()),
            };
        }
        catch
        {
            openFiles.ForEach(file => file.Dispose());
            throw;
        }
    }

    /// <returns>Where each tensor lives, and the path that errors about missing tensors should name.</returns>
    private static (Dictionary<string, SafetensorsFile> Sources, string WeightsPath) OpenWeights(HuggingFaceFolder folder, List<SafetensorsFile> openFiles)
    {
        var sources = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        if (folder.SingleWeightsPath is { } singlePath)
        {
            var file = SafetensorsFile.Open(singlePath);
            openFiles.Add(file);
            foreach (var tensor in file.Tensors) sources.Add(tensor.Name, file);
            return (sources, singlePath);
        }

        var indexPath = folder.WeightsIndexPath!;
        var weightMap = ReadWeightMap(indexPath);
        var shards = new Dictionary<string, SafetensorsFile>(StringComparer.Ordinal);
        foreach (var shardName in weightMap.Values.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var shardPath = Path.Combine(folder.Directory, shardName);
            if (!File.Exists(shardPath))
                throw new ModelFormatException(indexPath, shardName, "shard listed in weight_map is missing from the folder");
            var shard = SafetensorsFile.Open(shardPath);
            openFiles.Add(shard);
            shards.Add(shardName, shard);
        }
        foreach (var (tensorName, shardName) in weightMap)
        {
            var shard = shards[shardName];
            if (!shard.Contains(tensorName))
                throw new ModelFormatException(shard.Path, tensorName, $"listed in {HuggingFaceFolder.WeightsIndexFileName} but not in this shard");
            sources.Add(tensorName, shard);
        }
        foreach (var shard in shards.Values)
        {
            var unlisted = shard.Tensors.FirstOrDefault(tensor => !weightMap.ContainsKey(tensor.Name));
            if (unlisted is not null)
                throw new ModelFormatException(shard.Path, unlisted.Name, $"not listed in {HuggingFaceFolder.WeightsIndexFileName}'s weight_map");
        }
        return (sources, indexPath);
    }

    private static Dictionary<string, string> ReadWeightMap(string indexPath)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(indexPath));
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new ModelFormatException(indexPath, "weight_map", "missing or not an object");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var entry in map.EnumerateObject())
            {
                var shardName = entry.Value.ValueKind == JsonValueKind.String ? entry.Value.GetString()! : "";
                // A shard must be a plain file name in this folder: an index must not point elsewhere on disk.
                if (shardName.Length == 0 || Path.GetFileName(shardName) != shardName || shardName is "." or "..")
                    throw new ModelFormatException(indexPath, entry.Name, $"weight_map entry {entry.Value.GetRawText()} is not a file name in the folder");
                if (!weightMap.TryAdd(entry.Name, shardName))
                    throw new ModelFormatException(indexPath, entry.Name, "appears twice in weight_map");
            }
            return weightMap;
        }
        catch (JsonException exception)
        {
            throw new ModelFormatException(indexPath, null, $"not valid JSON: {exception.Message}", exception);
        }
    }

    private static Dictionary<string, CheckpointTensor> CheckAgainstConfig(
        LlamaConfig config, Dictionary<string, SafetensorsFile> sources, string weightsPath)
    {
        var tensors = new Dictionary<string, CheckpointTensor>(StringComparer.Ordinal);
        var expected = HuggingFaceTensorLayout.Expected(config);
        foreach (var (name, shape) in expected)
        {
            if (!sources.TryGetValue(name, out var file))
                throw new ModelFormatException(weightsPath, name, $"missing: config.json implies it with shape [{string.Join(", ", shape)}]");
            tensors.Add(name, ToCheckpointTensor(file, name, shape));
        }

        foreach (var (name, file) in sources)
        {
            if (tensors.ContainsKey(name) || HuggingFaceTensorLayout.IsHarmlessExtra(name)) continue;
            if (name == HuggingFaceTensorLayout.OutputName && config.TieWordEmbeddings)
            {
                // Some tied checkpoints still store the (identical) output matrix; keep it, checked like the rest.
                tensors.Add(name, ToCheckpointTensor(file, name, [config.VocabSize, config.HiddenSize]));
                continue;
            }
            throw new ModelFormatException(file.Path, name, "unexpected tensor: the configured model has no such weight (wrong config.json?)");
        }
        return tensors;
    }

    private static CheckpointTensor ToCheckpointTensor(SafetensorsFile file, string name, long[] expectedShape)
    {
        var info = file.GetTensor(name);
        if (!info.Shape.SequenceEqual(expectedShape))
            throw new ModelFormatException(file.Path, name,
                $"shape [{string.Join(", ", info.Shape)}] but config.json implies [{string.Join(", ", expectedShape)}]");
        if (!info.Dtype.IsReadableAsFloat32())
            throw new ModelFormatException(file.Path, name, $"dtype {info.Dtype} is not a floating-point weight type");
        return new CheckpointTensor(name, info.Shape, info.Dtype.ToString(), () => file.ReadFloat32(name));
    }

    /// <summary>tokenizer_config.json's <c>chat_template</c> (a string, or a list of named templates), else chat_template.jinja.</summary>
    private static string? ReadChatTemplate(HuggingFaceFolder folder)
    {
        if (folder.TokenizerConfigPath is { } configPath)
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(configPath));
                if (document.RootElement.ValueKind == JsonValueKind.Object
                    && document.RootElement.TryGetProperty("chat_template", out var template))
                {
                    if (template.ValueKind == JsonValueKind.String) return template.GetString();
                    if (template.ValueKind == JsonValueKind.Array)
                    {
                        var named = template.EnumerateArray()
                            .Where(entry => entry.ValueKind == JsonValueKind.Object
                                && entry.TryGetProperty("template", out var text) && text.ValueKind == JsonValueKind.String)
                            .ToList();
                        var chosen = named.FirstOrDefault(entry => entry.TryGetProperty("name", out var entryName)
                            && entryName.ValueKind == JsonValueKind.String && entryName.GetString() == "default");
                        if (chosen.ValueKind == JsonValueKind.Undefined && named.Count > 0) chosen = named[0];
                        if (chosen.ValueKind != JsonValueKind.Undefined) return chosen.GetProperty("template").GetString();
                    }
                    if (template.ValueKind != JsonValueKind.Null)
                        throw new ModelFormatException(configPath, "chat_template", $"must be a string or a list of named templates, found {template.ValueKind}");
                }
            }
            catch (JsonException exception)
            {
                throw new ModelFormatException(configPath, null, $"not valid JSON: {exception.Message}", exception);
            }
        }
        return folder.ChatTemplatePath is { } templatePath ? File.ReadAllText(templatePath) : null;
    }
}
