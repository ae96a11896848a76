using System.IO.Hashing;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Adapters;

/// <summary>The low-rank pair of one adapted linear layer: Δy = scale · (x·Aᵀ)·Bᵀ.</summary>
/// <param name="A">[rank, in]</param>
/// <param name="B">[out, rank]</param>
public sealed record LoraPair(Tensor A, Tensor B);

/// <summary>A pair laid out for the per-token kernels (native bf16, C# fp32): both factors row-major over the rank.</summary>
/// <param name="A">[rank, in], contiguous</param>
/// <param name="BTransposed">[rank, out], contiguous</param>
internal sealed record LoraRowLayout(Tensor A, Tensor BTransposed)
{
    public int Rank => (int)A.shape[0];
}

/// <summary>
/// A LoRA adapter in memory: its identity (id and content version), hyper-parameters and the low-rank pair of
/// every adapted module, keyed by module path (<c>model.layers.3.self_attn.q_proj</c>). Tensors are fp32.
/// </summary>
public sealed class LoraAdapter : IDisposable
{
    private readonly Dictionary<string, LoraPair> pairs;
    private readonly Dictionary<ScalarType, Dictionary<string, LoraPair>> converted = [];
    private readonly Dictionary<(string ModulePath, ScalarType DType), LoraRowLayout> rowLayouts = [];
    private readonly Lock conversionLock = new();

    public LoraAdapter(string id, string version, LoraConfig config, IReadOnlyDictionary<string, LoraPair> pairs)
    {
        Id = id;
        Version = version;
        Config = config;
        this.pairs = new Dictionary<string, LoraPair>(pairs);
        foreach (var pair in this.pairs.Values)
        {
            pair.A.DetachFromDisposeScope();
            pair.B.DetachFromDisposeScope();
        }
    }

    /// <summary>
    /// Reads the adapter at <paramref name="path"/>: a llama.cpp GGUF LoRA file (<c>*.gguf</c>) or a PEFT folder, either
    /// checked against <paramref name="baseConfig"/>. The id defaults to the file or folder name.
    /// </summary>
    /// <exception cref="Formats.ModelFormatException">The files are broken or do not fit the base model.</exception>
    public static LoraAdapter Load(string path, LlamaConfig baseConfig, string? id = null) =>
        GgufLoraFormat.IsGgufPath(path) ? GgufLoraFormat.Load(path, baseConfig, id) : PeftAdapterFormat.Load(path, baseConfig, id);

    public string Id { get; }

    /// <summary>A hash of the adapter's content: two loads of the same files have the same version.</summary>
    public string Version { get; }

    /// <summary>The version string of a content hash: its first 16 hex digits, one rule for every adapter format.</summary>
    internal static string VersionOf(XxHash128 hash) => Convert.ToHexStringLower(hash.GetCurrentHash())[..16];

    public LoraConfig Config { get; }

    public double Scale => Config.Scale;

    public IReadOnlyDictionary<string, LoraPair> Pairs => pairs;

    /// <summary>Bytes the adapter's fp32 tensors occupy.</summary>
    public long SizeInBytes => pairs.Values.Sum(pair => (pair.A.numel() + pair.B.numel()) * sizeof(float));

    /// <summary>The pair for <paramref name="modulePath"/> in <paramref name="dtype"/> (converted once, then cached).</summary>
    public LoraPair? Get(string modulePath, ScalarType dtype)
    {
        if (!pairs.TryGetValue(modulePath, out var pair)) return null;
        if (dtype == ScalarType.Float32) return pair;
        lock (conversionLock)
        {
            if (!converted.TryGetValue(dtype, out var cache)) converted[dtype] = cache = [];
            if (!cache.TryGetValue(modulePath, out var result))
            {
                result = new LoraPair(pair.A.to(dtype).DetachFromDisposeScope(), pair.B.to(dtype).DetachFromDisposeScope());
                cache[modulePath] = result;
            }
            return result;
        }
    }

    /// <summary>
    /// The pair for <paramref name="modulePath"/> as the per-token kernels read it (<see cref="LoraRowLayout"/>) in
    /// <paramref name="dtype"/>, made on first use and kept with the adapter (an fp32 A is the adapter's own tensor; Bᵀ
    /// is a copy); null when the adapter does not touch the module.
    /// </summary>
    internal LoraRowLayout? GetRowLayout(string modulePath, ScalarType dtype)
    {
        if (!pairs.TryGetValue(modulePath, out var pair)) return null;
        lock (conversionLock)
        {
            ObjectDisposedException.ThrowIf(IsDisposed, this);
            if (!rowLayouts.TryGetValue((modulePath, dtype), out var layout))
            {
                using var scope = NewDisposeScope();
                layout = new LoraRowLayout(pair.A.to(dtype).contiguous().DetachFromDisposeScope(),
                    pair.B.t().to(dtype).contiguous().DetachFromDisposeScope());
                rowLayouts[(modulePath, dtype)] = layout;
            }
            return layout;
        }
    }

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        foreach (var pair in pairs.Values.Concat(converted.Values.SelectMany(cache => cache.Values)))
        {
            pair.A.Dispose();
            pair.B.Dispose();
        }
        foreach (var layout in rowLayouts.Values)
        {
            layout.A.Dispose();
            layout.BTransposed.Dispose();
        }
    }
}
