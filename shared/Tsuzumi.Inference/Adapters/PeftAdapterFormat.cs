using System.IO.Hashing;
using System.Text.Json;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Adapters;

/// <summary>
/// PEFT's on-disk LoRA layout: <c>adapter_config.json</c> plus <c>adapter_model.safetensors</c> with keys
/// <c>base_model.model.&lt;module path&gt;.lora_A.weight</c> [r, in] and <c>.lora_B.weight</c> [out, r].
/// Loading validates against the base model's configuration; saving writes a temp folder, then moves it.
/// </summary>
public static class PeftAdapterFormat
{
    public const string WeightsFileName = "adapter_model.safetensors";
    private const string KeyPrefix = "base_model.model.";

    /// <summary>Reads the adapter in <paramref name="directory"/>, checking every tensor against <paramref name="baseConfig"/>.</summary>
    public static LoraAdapter Load(string directory, LlamaConfig baseConfig, string? id = null)
    {
        var configPath = Path.Combine(directory, LoraConfig.FileName);
        var weightsPath = Path.Combine(directory, WeightsFileName);
        if (!Directory.Exists(directory)) throw new ModelFormatException(directory, null, "adapter folder not found");
        if (!File.Exists(configPath)) throw new ModelFormatException(directory, LoraConfig.FileName, "missing");
        if (!File.Exists(weightsPath)) throw new ModelFormatException(directory, WeightsFileName, "missing");

        var config = LoraConfig.Read(configPath);
        using var weights = SafetensorsFile.Open(weightsPath);
        var found = new Dictionary<string, (SafetensorsTensorInfo? A, SafetensorsTensorInfo? B)>();
        foreach (var tensor in weights.Tensors)
        {
            var (modulePath, matrix) = ParseKey(weightsPath, tensor.Name);
            var (_, target) = ParseModulePath(weightsPath, tensor.Name, modulePath, baseConfig);
            if (!config.TargetModules.Contains(target))
                throw new ModelFormatException(weightsPath, tensor.Name, $"module '{target}' is not among the adapter's target_modules");
            var (inFeatures, outFeatures) = LoraTargets.Shape(baseConfig, target);
            long[] expected = matrix == "A" ? [config.Rank, inFeatures] : [outFeatures, config.Rank];
            if (!tensor.Shape.SequenceEqual(expected))
                throw new ModelFormatException(weightsPath, tensor.Name,
                    $"shape [{string.Join(", ", tensor.Shape)}] does not fit the base model (expected [{string.Join(", ", expected)}]; is this adapter for another base?)");
            found.TryGetValue(modulePath, out var entry);
            found[modulePath] = matrix == "A" ? entry with { A = tensor } : entry with { B = tensor };
        }

        foreach (var target in config.TargetModules)
        {
            var layers = target == LoraTargets.Head ? 1 : baseConfig.NumHiddenLayers;
            for (var layer = 0; layer < layers; layer++)
            {
                var modulePath = LoraTargets.ModulePath(layer, target);
                if (!found.TryGetValue(modulePath, out var entry) || entry.A is null || entry.B is null)
                {
                    var missing = entry.A is null ? "lora_A" : "lora_B";
                    throw new ModelFormatException(weightsPath, $"{KeyPrefix}{modulePath}.{missing}.weight", "missing tensor");
                }
            }
        }

        // One pass over the mapped file, in data order: each tensor's bytes are hashed, then decoded straight into its
        // tensor's storage and checked for NaN/inf while still in cache. The ranges hashed cover the whole file, so the
        // version equals ContentVersion's.
        var hash = new XxHash128();
        hash.Append(File.ReadAllBytes(configPath));
        var content = new FileHashCursor(hash, weights.Length, weights.AppendTo);
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            foreach (var info in weights.Tensors)
            {
                content.CoverTo(weights.DataStart + info.DataEnd);
                loaded[info.Name] = ReadFinite(weights, info);
            }
            content.CoverToEnd();
        }
        catch
        {
            foreach (var value in loaded.Values) value.Dispose();
            throw;
        }
        var pairs = found.ToDictionary(entry => entry.Key, entry => new LoraPair(loaded[entry.Value.A!.Name], loaded[entry.Value.B!.Name]));
        var version = LoraAdapter.VersionOf(hash);
        return new LoraAdapter(id ?? Path.GetFileName(Path.GetFullPath(directory).TrimEnd(Path.DirectorySeparatorChar)), version, config, pairs);
    }

    /// <summary>Writes <paramref name="adapter"/> into <paramref name="directory"/> (replacing it whole, never half-written).</summary>
    public static void Save(LoraAdapter adapter, string directory)
    {
        var target = Path.GetFullPath(directory);
        var parent = Path.GetDirectoryName(target) ?? ".";
        Directory.CreateDirectory(parent);
        var staging = Path.Combine(parent, $".{Path.GetFileName(target)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(staging);
        try
        {
            File.WriteAllText(Path.Combine(staging, LoraConfig.FileName),
                adapter.Config.ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            var tensors = adapter.Pairs.OrderBy(pair => pair.Key, StringComparer.Ordinal).SelectMany(pair => new[]
            {
                ToWrite($"{KeyPrefix}{pair.Key}.lora_A.weight", pair.Value.A),
                ToWrite($"{KeyPrefix}{pair.Key}.lora_B.weight", pair.Value.B),
            });
            SafetensorsWriter.Write(Path.Combine(staging, WeightsFileName), tensors, new Dictionary<string, string> { ["format"] = "pt" });
            ReplaceDirectory(staging, target);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
    }

    /// <summary>
    /// XxHash128 of the config and weights files, 16 hex digits. A content hash, not a cryptographic one: it tells
    /// versions apart at memory speed (SHA-256 alone took longer than the rest of a cold load).
    /// </summary>
    public static string ContentVersion(string configPath, string weightsPath)
    {
        var hash = new XxHash128();
        hash.Append(File.ReadAllBytes(configPath));
        using (var stream = File.OpenRead(weightsPath)) hash.Append(stream);
        return LoraAdapter.VersionOf(hash);
    }

    private static void ReplaceDirectory(string staging, string target)
    {
        if (!Directory.Exists(target))
        {
            Directory.Move(staging, target);
            return;
        }
        var previous = target + $".old-{Guid.NewGuid():N}";
        Directory.Move(target, previous);
        Directory.Move(staging, target);
        Directory.Delete(previous, recursive: true);
    }

    private static SafetensorsTensorToWrite ToWrite(string name, Tensor tensor) =>
        new(name, tensor.shape, SafetensorsDtype.F32, () => tensor.to(ScalarType.Float32).contiguous().data<float>().ToArray());

    /// <summary>
    /// An fp32 tensor filled straight from the mapped bytes (one copy, or one conversion pass for F16/BF16/F64 files),
    /// then checked finite in C# while the values are still in cache.
    /// </summary>
    private static unsafe Tensor ReadFinite(SafetensorsFile file, SafetensorsTensorInfo info)
    {
        if (!info.Dtype.IsReadableAsFloat32())
            throw new ModelFormatException(file.Path, info.Name, $"dtype {info.Dtype} cannot be read as float32 (only F32, F16, BF16, F64)");
        var count = info.ElementCount;
        if (count > Array.MaxLength)
            throw new ModelFormatException(file.Path, info.Name, $"{count} elements are more than one tensor here can hold");
        var values = empty(info.Shape, ScalarType.Float32);
        try
        {
            if (count == 0) return values;
            var destination = new Span<float>(TensorMemory.DataPointer(values), (int)count);
            file.ReadFloat32(info.Name, destination);
            if (FloatConversions.AllFinite(destination)) return values;
            throw new ModelFormatException(file.Path, info.Name, "contains NaN or infinite values");
        }
        catch
        {
            values.Dispose();
            throw;
        }
    }

    private static (string ModulePath, string Matrix) ParseKey(string path, string key)
    {
        if (key.StartsWith(KeyPrefix, StringComparison.Ordinal))
        {
            if (key.EndsWith(".lora_A.weight", StringComparison.Ordinal)) return (key[KeyPrefix.Length..^".lora_A.weight".Length], "A");
            if (key.EndsWith(".lora_B.weight", StringComparison.Ordinal)) return (key[KeyPrefix.Length..^".lora_B.weight".Length], "B");
        }
        throw new ModelFormatException(path, key, "unexpected tensor: LoRA adapters hold only base_model.model.<module>.lora_A/lora_B.weight");
    }

    private static (int Layer, string Target) ParseModulePath(string path, string key, string modulePath, LlamaConfig config)
    {
        if (!LoraTargets.TryParseModulePath(modulePath, out var layer, out var target))
            throw new ModelFormatException(path, key, $"'{modulePath}' is not a linear layer of a Llama decoder");
        if (target != LoraTargets.Head && (layer < 0 || layer >= config.NumHiddenLayers))
            throw new ModelFormatException(path, key, $"layer {layer} does not exist in the base model ({config.NumHiddenLayers} layers)");
        return (layer, target);
    }
}
