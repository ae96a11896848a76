using System.IO.Hashing;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Adapters;

/// <summary>
/// llama.cpp's GGUF LoRA layout, as <c>convert_lora_to_gguf.py</c> writes it and <c>llama-adapter.cpp</c> reads it:
/// <c>general.type = "adapter"</c>, <c>adapter.type = "lora"</c>, <c>adapter.lora.alpha</c> (float32; 0 means scale 1),
/// <c>general.architecture</c> of the base, and per adapted weight <c>&lt;base tensor&gt;.lora_a</c> (ggml ne [in, r],
/// i.e. PyTorch [r, in]) and <c>.lora_b</c> (ne [r, out], PyTorch [out, r]). The scale is α/r with r = lora_b's ne[0].
/// For the llama architecture the converter permutes the rows of q/k lora_b into GGML's adjacent-pair RoPE layout
/// (lora_a is untouched, since permute(B)·A = permute(B·A)); loading puts them in the base model's layout.
/// </summary>
public static class GgufLoraFormat
{
    public const string FileExtension = ".gguf";
    public const string TypeKey = "general.type";
    public const string ArchitectureKey = "general.architecture";
    public const string AdapterTypeKey = "adapter.type";
    public const string AlphaKey = "adapter.lora.alpha";

    /// <summary>Activated LoRA (aLoRA) switches on after these tokens; served as a plain LoRA it would act everywhere.</summary>
    public const string InvocationTokensKey = "adapter.alora.invocation_tokens";

    /// <summary>GGUF's model-card key for the (first) base model; PEFT's <c>base_model_name_or_path</c>.</summary>
    private const string BaseModelNameKey = "general.base_model.0.name";

    private const string SuffixA = ".lora_a";
    private const string SuffixB = ".lora_b";

    /// <summary>A path names a GGUF adapter when it ends in <c>.gguf</c> and is not a folder.</summary>
    public static bool IsGgufPath(string path) =>
        path.EndsWith(FileExtension, StringComparison.OrdinalIgnoreCase) && !Directory.Exists(path);

    /// <summary>Reads the adapter in <paramref name="path"/>, checking every tensor against <paramref name="baseConfig"/>.</summary>
    public static LoraAdapter Load(string path, LlamaConfig baseConfig, string? id = null)
    {
        if (!File.Exists(path)) throw new ModelFormatException(path, null, "adapter file not found");
        using var file = GgufFile.Open(path);
        var architecture = CheckMetadata(file, baseConfig);
        var alpha = ReadAlpha(file);
        var modules = PairTensors(file, baseConfig);
        var rank = CheckShapes(file, baseConfig, modules);

        // One pass over the file, in data order (the tensor table need not be): each tensor's raw bytes are hashed and
        // dequantised straight into its tensor's storage a chunk at a time, then checked for NaN/inf while still in
        // cache. The header, padding and tail are hashed between them, so the version equals ContentVersion's.
        var fileLayout = GgufArchitectures.RopeLayoutOf(architecture);
        var hash = new XxHash128();
        var content = new FileHashCursor(hash, file.Length, file.AppendTo);
        var loaded = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        try
        {
            var inDataOrder = modules.Values
                .SelectMany(module => new[] { (Info: module.A!, Target: (string?)null), (Info: module.B!, Target: (string?)module.Target) })
                .OrderBy(tensor => tensor.Info.Offset);
            foreach (var (info, rowsOf) in inDataOrder)
            {
                // Only lora_b rows of q/k move, and only when the file's RoPE layout differs from the base's.
                var arrange = rowsOf is not null && fileLayout != baseConfig.RopeLayout && RopeHeads(rowsOf, baseConfig) is not null
                    ? values => Relayout(values, rowsOf, baseConfig, fileLayout, baseConfig.RopeLayout)
                    : (Func<float[], float[]>?)null;
                loaded[info.Name] = ReadFinite(file, info, content, arrange);
            }
            content.CoverToEnd();
        }
        catch
        {
            foreach (var value in loaded.Values) value.Dispose();
            throw;
        }
        var pairs = modules.ToDictionary(entry => entry.Key, entry => new LoraPair(loaded[entry.Value.A!.Name], loaded[entry.Value.B!.Name]), StringComparer.Ordinal);

        var targets = LoraTargets.All.Where(target => modules.Values.Any(module => module.Target == target)).ToArray();
        // llama.cpp: alpha 0 means "no α/r factor", i.e. scale 1, which is α = r here.
        var config = new LoraConfig(rank, alpha == 0 ? rank : alpha, targets, BaseModel: OptionalString(file, BaseModelNameKey));
        return new LoraAdapter(id ?? Path.GetFileNameWithoutExtension(path), LoraAdapter.VersionOf(hash), config, pairs);
    }

    /// <summary>
    /// Writes <paramref name="adapter"/> as a GGUF LoRA file llama.cpp loads (replacing <paramref name="path"/> whole).
    /// q/k lora_b rows are put into the architecture's GGUF layout; α is written so that α/r is the adapter's scale
    /// (α·√r for rank-stabilised adapters, since llama.cpp always divides by r). Matrices whose rows are not whole
    /// <paramref name="tensorType"/> blocks are stored as F16, as llama.cpp's converter falls back.
    /// </summary>
    public static void Save(LoraAdapter adapter, LlamaConfig baseConfig, string path, GgufTensorType tensorType = GgufTensorType.F32)
    {
        if (tensorType is not (GgufTensorType.F32 or GgufTensorType.F16 or GgufTensorType.BF16 or GgufTensorType.Q8_0))
            throw new ArgumentException($"adapter tensors are written as F32, F16, BF16 or Q8_0, not {tensorType}");
        var architecture = GgufArchitectures.ForModelType(baseConfig.ModelType)
            ?? throw new ArgumentException($"model type '{baseConfig.ModelType}' has no GGUF architecture here (llama, mistral, qwen2)");
        var fileLayout = GgufArchitectures.RopeLayoutOf(architecture);

        var writer = new GgufWriter();
        writer.AddMetadata(ArchitectureKey, GgufValue.String(architecture));
        writer.AddMetadata(TypeKey, GgufValue.String("adapter"));
        writer.AddMetadata("general.name", GgufValue.String(adapter.Id));
        writer.AddMetadata(AdapterTypeKey, GgufValue.String("lora"));
        writer.AddMetadata(AlphaKey, GgufValue.Float32((float)(adapter.Scale * adapter.Config.Rank)));
        if (adapter.Config.BaseModel is { } baseModel)
        {
            writer.AddMetadata("general.base_model.count", GgufValue.UInt32(1));
            writer.AddMetadata(BaseModelNameKey, GgufValue.String(baseModel));
        }
        foreach (var (modulePath, pair) in adapter.Pairs.OrderBy(pair => ModuleOrder(pair.Key)).ThenBy(pair => pair.Key, StringComparer.Ordinal))
        {
            var baseName = GgufTensorNames.ToGguf(modulePath + ".weight")
                ?? throw new ArgumentException($"adapter '{adapter.Id}' adapts '{modulePath}', which has no llama.cpp tensor name");
            var target = modulePath == LoraTargets.Head ? LoraTargets.Head : modulePath[(modulePath.LastIndexOf('.') + 1)..];
            var (inFeatures, outFeatures) = LoraTargets.Shape(baseConfig, target);
            var rank = pair.A.shape[0];
            if (!pair.A.shape.SequenceEqual([rank, inFeatures]) || !pair.B.shape.SequenceEqual([outFeatures, rank]))
                throw new ArgumentException($"adapter '{adapter.Id}': {modulePath} has A [{string.Join(", ", pair.A.shape)}] and B [{string.Join(", ", pair.B.shape)}], which do not fit the base model");
            AddMatrix(writer, baseName + SuffixA, pair.A, tensorType, () => Values(pair.A));
            AddMatrix(writer, baseName + SuffixB, pair.B, tensorType,
                () => Relayout(Values(pair.B), target, baseConfig, baseConfig.RopeLayout, fileLayout));
        }

        var destination = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(destination)!);
        writer.WriteTo(destination); // through a temporary file: nothing half-written
    }

    /// <summary>XxHash128 of the file, 16 hex digits (the same hash as PEFT adapters' version).</summary>
    public static string ContentVersion(string path)
    {
        var hash = new XxHash128();
        using (var stream = File.OpenRead(path)) hash.Append(stream);
        return LoraAdapter.VersionOf(hash);
    }

    private sealed class Module(string target)
    {
        public string Target { get; } = target;
        public GgufTensorInfo? A { get; set; }
        public GgufTensorInfo? B { get; set; }
        public string BaseName { get; init; } = "";
    }

    /// <summary>The checks llama.cpp makes before it reads a tensor, plus the architecture's fit with the base; returns the architecture.</summary>
    private static string CheckMetadata(GgufFile file, LlamaConfig baseConfig)
    {
        var type = RequiredString(file, TypeKey);
        if (type != "adapter")
            throw new ModelFormatException(file.Path, TypeKey, $"is '{type}', not 'adapter': this is not a LoRA adapter file (a model file is loaded with --model)");
        var adapterType = RequiredString(file, AdapterTypeKey);
        if (adapterType != "lora") throw new ModelFormatException(file.Path, AdapterTypeKey, $"'{adapterType}' adapters are not supported (lora)");
        if (file.Metadata.ContainsKey(InvocationTokensKey))
            throw new ModelFormatException(file.Path, InvocationTokensKey, "activated LoRA (aLoRA) adapters are not supported: served as a plain LoRA it would apply before its invocation");
        var architecture = RequiredString(file, ArchitectureKey);
        var expected = GgufArchitectures.ForModelType(baseConfig.ModelType);
        if (architecture != expected)
            throw new ModelFormatException(file.Path, ArchitectureKey,
                $"the adapter is for '{architecture}' models, the base model is '{expected ?? baseConfig.ModelType}' (is this adapter for another base?)");
        return architecture;
    }

    /// <summary>α as llama.cpp reads it: absent means 0 (scale 1). Negative or non-finite values are refused.</summary>
    private static double ReadAlpha(GgufFile file)
    {
        if (!file.Metadata.TryGetValue(AlphaKey, out var value)) return 0;
        double alpha;
        try
        {
            alpha = value.AsDouble();
        }
        catch (InvalidOperationException error)
        {
            throw new ModelFormatException(file.Path, AlphaKey, error.Message, error);
        }
        if (!double.IsFinite(alpha) || alpha < 0) throw new ModelFormatException(file.Path, AlphaKey, $"must be a finite number ≥ 0, was {alpha}");
        return alpha;
    }

    /// <summary>Groups <c>.lora_a</c>/<c>.lora_b</c> tensors by the base weight they adapt, keyed by Hugging Face module path.</summary>
    private static SortedDictionary<string, Module> PairTensors(GgufFile file, LlamaConfig baseConfig)
    {
        var modules = new SortedDictionary<string, Module>(Comparer<string>.Create((x, y) =>
        {
            var order = ModuleOrder(x).CompareTo(ModuleOrder(y));
            return order != 0 ? order : string.CompareOrdinal(x, y);
        }));
        foreach (var info in file.Tensors)
        {
            var isA = info.Name.EndsWith(SuffixA, StringComparison.Ordinal);
            if (!isA && !info.Name.EndsWith(SuffixB, StringComparison.Ordinal))
                throw new ModelFormatException(file.Path, info.Name,
                    "unexpected tensor: LoRA adapters hold only <weight>.lora_a / <weight>.lora_b pairs (norm or embedding tensors are not supported)");
            var baseName = info.Name[..^SuffixA.Length];
            var (modulePath, target) = ModuleOf(file, info.Name, baseName, baseConfig);
            if (!modules.TryGetValue(modulePath, out var module)) modules[modulePath] = module = new Module(target) { BaseName = baseName };
            if (isA) module.A = info;
            else module.B = info;
        }
        if (modules.Count == 0) throw new ModelFormatException(file.Path, null, "the adapter holds no lora_a / lora_b tensors");
        foreach (var module in modules.Values)
        {
            if (module.A is null) throw new ModelFormatException(file.Path, module.BaseName + SuffixA, $"missing tensor ({module.BaseName + SuffixB} has no partner)");
            if (module.B is null) throw new ModelFormatException(file.Path, module.BaseName + SuffixB, $"missing tensor ({module.BaseName + SuffixA} has no partner)");
        }
        return modules;
    }

    private static (string ModulePath, string Target) ModuleOf(GgufFile file, string tensorName, string baseName, LlamaConfig config)
    {
        var huggingFace = GgufTensorNames.ToHuggingFace(baseName);
        if (huggingFace is null || !huggingFace.EndsWith(".weight", StringComparison.Ordinal))
            throw new ModelFormatException(file.Path, tensorName, $"'{baseName}' is not a weight of a llama/qwen2 model");
        var modulePath = huggingFace[..^".weight".Length];
        if (!LoraTargets.TryParseModulePath(modulePath, out var layer, out var target))
            throw new ModelFormatException(file.Path, tensorName, $"'{baseName}' ({modulePath}) is not a linear layer an adapter may target ({string.Join(", ", LoraTargets.All)})");
        if (layer >= config.NumHiddenLayers)
            throw new ModelFormatException(file.Path, tensorName, $"layer {layer} does not exist in the base model ({config.NumHiddenLayers} layers; is this adapter for another base?)");
        return (modulePath, target);
    }

    /// <summary>Every pair must fit the base (ne[0] of A = in, ne[1] of B = out) and share one rank; returns it.</summary>
    private static int CheckShapes(GgufFile file, LlamaConfig baseConfig, SortedDictionary<string, Module> modules)
    {
        int? rank = null;
        string? rankSource = null;
        foreach (var module in modules.Values)
        {
            GgufTensorInfo a = module.A!, b = module.B!;
            foreach (var info in new[] { a, b })
            {
                if (info.Dimensions.Length != 2)
                    throw new ModelFormatException(file.Path, info.Name, $"has {info.Dimensions.Length} dimensions, a LoRA matrix has 2");
            }
            var (inFeatures, outFeatures) = LoraTargets.Shape(baseConfig, module.Target);
            if (a.Dimensions[0] != inFeatures)
                throw new ModelFormatException(file.Path, a.Name, ShapeProblem(a, $"[{inFeatures}, r]"));
            if (b.Dimensions[1] != outFeatures)
                throw new ModelFormatException(file.Path, b.Name, ShapeProblem(b, $"[r, {outFeatures}]"));
            if (a.Dimensions[1] != b.Dimensions[0])
                throw new ModelFormatException(file.Path, a.Name, $"rank {a.Dimensions[1]} differs from {b.Name}'s {b.Dimensions[0]} (lora_a must be stored transposed, ne [in, r])");
            var moduleRank = b.Dimensions[0];
            if (moduleRank is <= 0 or > int.MaxValue) throw new ModelFormatException(file.Path, b.Name, $"rank {moduleRank} is out of range");
            if (rank is null)
            {
                rank = (int)moduleRank;
                rankSource = b.Name;
            }
            else if (rank != moduleRank)
                throw new ModelFormatException(file.Path, b.Name, $"rank {moduleRank} differs from {rankSource}'s {rank}: adapters with one rank per module are not supported");
        }
        return rank!.Value;
    }

    private static string ShapeProblem(GgufTensorInfo info, string expected) =>
        $"ggml shape [{string.Join(", ", info.Dimensions)}] does not fit the base model (expected {expected}; is this adapter for another base?)";

    /// <summary>
    /// The tensor as an fp32 PyTorch matrix, dequantised straight into its storage (its raw bytes fed to
    /// <paramref name="content"/> on the way), checked finite, its rows rearranged by <paramref name="arrange"/> if given.
    /// </summary>
    private static unsafe Tensor ReadFinite(GgufFile file, GgufTensorInfo info, FileHashCursor content, Func<float[], float[]>? arrange)
    {
        file.RequireReadableAsFloat32(info);
        var values = empty(info.PyTorchShape, ScalarType.Float32);
        try
        {
            var destination = new Span<float>(TensorMemory.DataPointer(values), (int)info.ElementCount);
            file.ReadFloat32(info, destination, content);
            if (!FloatConversions.AllFinite(destination)) throw new ModelFormatException(file.Path, info.Name, "contains NaN or infinite values");
            if (arrange is not null) arrange(destination.ToArray()).CopyTo(destination);
            return values;
        }
        catch
        {
            values.Dispose();
            throw;
        }
    }

    /// <summary>lora_b rows of q_proj / k_proj moved from one RoPE layout to another (B·A's rows are B's rows).</summary>
    private static float[] Relayout(float[] rows, string target, LlamaConfig config, RopeLayout from, RopeLayout to)
    {
        if (from == to || RopeHeads(target, config) is not { } heads) return rows;
        return to == RopeLayout.AdjacentPairs
            ? GgufRopePermutation.HalfSplitToAdjacentPairs(rows, heads, config.ResolvedHeadDim)
            : GgufRopePermutation.AdjacentPairsToHalfSplit(rows, heads, config.ResolvedHeadDim);
    }

    /// <summary>Rows of q_proj form the query heads and rows of k_proj the key/value heads; nothing else is rotated.</summary>
    private static int? RopeHeads(string target, LlamaConfig config) => target switch
    {
        "q_proj" => config.NumAttentionHeads,
        "k_proj" => config.NumKeyValueHeads,
        _ => null,
    };

    private static void AddMatrix(GgufWriter writer, string name, Tensor matrix, GgufTensorType type, Func<float[]> values)
    {
        long[] dimensions = [matrix.shape[1], matrix.shape[0]];
        var stored = dimensions[0] % GgufTensorTypes.BlockSize(type) == 0 ? type : GgufTensorType.F16;
        writer.AddTensor(name, dimensions, stored, values);
    }

    private static float[] Values(Tensor matrix)
    {
        using var scope = NewDisposeScope();
        return matrix.to(ScalarType.Float32).contiguous().data<float>().ToArray();
    }

    /// <summary>Layers in order, each in LoraTargets order, the head last: the order llama.cpp's converter writes.</summary>
    private static (int Layer, int Target) ModuleOrder(string modulePath)
    {
        if (modulePath == LoraTargets.Head) return (int.MaxValue, 0);
        var parts = modulePath.Split('.');
        var layer = parts.Length > 2 && int.TryParse(parts[2], out var number) ? number : int.MaxValue - 1;
        var target = parts.Length > 0 ? LoraTargets.All.ToList().IndexOf(parts[^1]) : -1;
        return (layer, target);
    }

    private static string RequiredString(GgufFile file, string key)
    {
        var value = file.Metadata.TryGetValue(key, out var found)
            ? found
            : throw new ModelFormatException(file.Path, key, "required metadata key is missing (is this a llama.cpp LoRA adapter?)");
        return value.Value as string ?? throw new ModelFormatException(file.Path, key, $"must be a string, was {value}");
    }

    private static string? OptionalString(GgufFile file, string key) =>
        file.Metadata.TryGetValue(key, out var value) ? value.Value as string : null;
}
