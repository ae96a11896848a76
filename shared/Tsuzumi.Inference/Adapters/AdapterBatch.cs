using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using TorchSharp;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Adapters;

/// <summary>One adapter applied to a row, with its mixing weight (1 = as trained).</summary>
public sealed record WeightedAdapter(LoraAdapter Adapter, float Weight = 1f);

/// <summary>
/// The adapters of every row of a batch, for unmerged multi-LoRA serving: the base projection runs once for all
/// rows, and each row adds Σ wᵢ·sᵢ·(x·Aᵢᵀ)·Bᵢᵀ over its own adapters. Per module the (row, adapter) pairs are
/// gathered into stacked A and B tensors and applied with two batched matmuls (the BGMV/SGMV idea): one stack over
/// every row when no row has two adapters on the module (the usual case), else grouped by rank. The stacks are built once per batch composition and reused by every decode step.
/// Decode steps and short fp32 prefills skip the stacks (<see cref="TryAddInto"/>): each token streams its own adapters'
/// factors once and adds the correction into the projection's output in place — bf16 in the native kernel, fp32 in C#.
/// </summary>
public sealed unsafe class AdapterBatch : IDisposable
{
    /// <summary>Below this many adapter weights read per call, waking a second core costs more than the work.</summary>
    private const long ParallelThreshold = 1L << 18;

    /// <summary>
    /// Most tokens of an fp32 forward whose corrections go token by token (<see cref="TryAddInto"/>): a decode step, or
    /// a short joint prefill (a fan-out's prompts; one prefill chunk of the engine by default). Longer prompts take the
    /// stacked bmm, whose one-off building is small beside their own cost.
    /// </summary>
    internal const int Float32TokenLimit = 64;

    private readonly IReadOnlyList<IReadOnlyList<WeightedAdapter>> rows;
    private readonly ScalarType dtype;
    private readonly Dictionary<string, ModuleStacks?> stacks = [];
    private readonly Dictionary<(string ModulePath, ScalarType LayoutType), RowTerm[][]?> rowTerms = [];
    private readonly Lock gate = new();

    /// <param name="rows">Row b's adapters; an empty list means the base model alone.</param>
    /// <param name="dtype">
    /// Precision of the low-rank products, whatever the model's: fp32 is the better choice on CPU — libtorch's bf16
    /// bmm for these tiny shapes is slower than fp32 (decode +14% with 8 adapters, docs/benchmarks.md) and the adapter
    /// keeps full precision; bf16 halves the memory of the stacked tensors.
    /// </param>
    public AdapterBatch(IReadOnlyList<IReadOnlyList<WeightedAdapter>> rows, ScalarType dtype)
    {
        this.rows = rows;
        this.dtype = dtype;
    }

    public int RowCount => rows.Count;

    /// <summary>True when no row uses any adapter with a non-zero weight.</summary>
    public bool IsEmpty => rows.All(row => row.All(adapter => adapter.Weight == 0));

    /// <summary>
    /// A batch of some of these rows (<paramref name="kept"/>, indices in this batch, in order): every module already
    /// stacked over all rows at once keeps its stacks, narrowed to the kept rows by one index_select each, instead of
    /// being built again — when a row of a running batch finishes, the others go on at the cost of a few operations.
    /// Modules not stacked yet, or grouped by rank, are built from the rows on first use as usual.
    /// </summary>
    internal AdapterBatch Keep(IReadOnlyList<int> kept)
    {
        var narrowed = new AdapterBatch(kept.Select(index => rows[index]).ToArray(), dtype);
        lock (gate)
        {
            using var scope = NewDisposeScope();
            var index = tensor(kept.Select(row => (long)row).ToArray());
            foreach (var (modulePath, module) in stacks)
            {
                if (module is null) narrowed.stacks[modulePath] = null;
                else if (module.Groups is [{ CoversEveryRowOnce: true } only])
                {
                    narrowed.stacks[modulePath] = new ModuleStacks([new RankGroup(TensorArithmetic.Range(kept.Count).DetachFromDisposeScope(),
                        only.ATransposed.index_select(0, index).DetachFromDisposeScope(), only.BScaledTransposed.index_select(0, index).DetachFromDisposeScope(),
                        CoversEveryRowOnce: true)]);
                }
            }
            foreach (var (key, terms) in rowTerms)
                narrowed.rowTerms[key] = terms is null ? null : kept.Select(row => terms[row]).ToArray();
        }
        return narrowed;
    }

    /// <summary>A batch whose rows all run the base model.</summary>
    public static AdapterBatch None(int rows, ScalarType dtype) =>
        new(Enumerable.Range(0, rows).Select(_ => (IReadOnlyList<WeightedAdapter>)[]).ToArray(), dtype);

    /// <summary>
    /// The low-rank correction for <paramref name="modulePath"/> given its input <paramref name="input"/>
    /// [batch, seq, in]: [batch, seq, out], or null when no row adapts this module.
    /// </summary>
    public Tensor? Delta(string modulePath, Tensor input, long outFeatures)
    {
        var module = StacksFor(modulePath);
        if (module is null) return null;
        using var scope = NewDisposeScope();
        if (module.Groups is [{ CoversEveryRowOnce: true } only])
        {
            // The common case — one adapter per row, every row adapted — needs no gather or scatter: two bmm.
            if (input.dtype == only.ATransposed.dtype)
                return bmm(bmm(input, only.ATransposed), only.BScaledTransposed).MoveToOuterDisposeScope(); // [batch, seq, out]
            return bmm(bmm(input.to(only.ATransposed.dtype), only.ATransposed), only.BScaledTransposed).to(input.dtype).MoveToOuterDisposeScope();
        }
        var delta = zeros(new[] { input.shape[0], input.shape[1], outFeatures }, dtype: input.dtype);
        foreach (var group in module.Groups)
        {
            var gathered = input.index_select(0, group.Rows).to(group.ATransposed.dtype); // [pairs, seq, in]
            var low = bmm(gathered, group.ATransposed);                           // [pairs, seq, r]
            delta.IndexAddInPlace(0, group.Rows, bmm(low, group.BScaledTransposed).to(input.dtype)); // += [pairs, seq, out]
        }
        return delta.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Adds every token's low-rank corrections for <paramref name="modules"/> straight into <paramref name="output"/>
    /// [batch, seq, Σ out] (module i's columns from its offset): one call per (token, adapter) that reads the adapter's
    /// A and Bᵀ once, with no stacks, casts or temporaries — bf16 through the native AVX512-BF16 kernel (forwards of at
    /// most <see cref="SingleRowProjection.MaxRows"/> tokens, where it is available), fp32 through
    /// <see cref="TensorPrimitives"/> (forwards of at most <see cref="Float32TokenLimit"/> tokens). Otherwise nothing is
    /// done, false comes back and the caller takes <see cref="Delta"/>.
    /// </summary>
    /// <remarks>
    /// The stacked fp32 path read 4 bytes per adapter weight per step and spent ~1,000 small libtorch calls on a step of
    /// a 24-layer model; it was 38% of an eight-adapter decode step of the 0.5B benchmark model (docs/benchmarks.md).
    /// On an fp32 model the stacks also cost their building whenever a batch's composition changes, about 3.5 ms per
    /// fan-out on tsuzumi-nano.
    /// </remarks>
    internal bool TryAddInto(Tensor input, Tensor output, IReadOnlyList<(string ModulePath, int Offset, int Outputs)> modules)
    {
        var dtype = output.dtype;
        var tokenLimit = dtype switch
        {
            ScalarType.BFloat16 when NativeBf16Rows.Available => SingleRowProjection.MaxRows,
            ScalarType.Float32 => Float32TokenLimit,
            _ => 0,
        };
        if (input.dtype != dtype || input.dim() != 3 || input.shape[0] != rows.Count
            || input.shape[0] * input.shape[1] > tokenLimit
            || !output.is_contiguous() || input.device_type != DeviceType.CPU
            || (is_grad_enabled() && (input.requires_grad || output.requires_grad)))
            return false;
        var terms = modules.Select(module => RowTermsFor(module.ModulePath, dtype)).ToArray();
        var sequence = (int)input.shape[1];
        var tokens = (int)input.shape[0] * sequence;
        var columns = (int)input.shape[2];
        var stride = (int)output.shape[^1];
        using var activations = input.contiguous();
        var x = (nint)TensorMemory.DataPointer(activations);
        var y = (nint)TensorMemory.DataPointer(output);
        long work = 0;
        for (var token = 0; token < tokens; token++)
            for (var module = 0; module < modules.Count; module++)
                foreach (var term in terms[module]?[token / sequence] ?? [])
                    work += (long)term.Layout.Rank * (columns + modules[module].Outputs);
        if (work == 0) return true;

        void AddToken(int token)
        {
            var row = token / sequence;
            for (var module = 0; module < modules.Count; module++)
            {
                var (_, offset, outputs) = modules[module];
                foreach (var term in terms[module]?[row] ?? [])
                {
                    var a = TensorMemory.DataPointer(term.Layout.A);
                    var bTransposed = TensorMemory.DataPointer(term.Layout.BTransposed);
                    if (dtype == ScalarType.BFloat16)
                    {
                        NativeBf16Rows.AddLowRank((ushort*)x + (long)token * columns, columns, (ushort*)a, (ushort*)bTransposed,
                            term.Layout.Rank, term.Scale, (ushort*)y + (long)token * stride + offset, outputs);
                    }
                    else
                    {
                        AddLowRank(new ReadOnlySpan<float>((float*)x + (long)token * columns, columns), (float*)a, (float*)bTransposed,
                            term.Layout.Rank, term.Scale, new Span<float>((float*)y + (long)token * stride + offset, outputs));
                    }
                }
            }
        }
        if (work < ParallelThreshold || tokens == 1)
        {
            for (var token = 0; token < tokens; token++) AddToken(token);
        }
        else
        {
            Parallel.For(0, tokens, AddToken);
        }
        return true;
    }

    /// <summary>y += Σ_j (scale·A[j,:]·x)·Bᵀ[j,:] for one token, in fp32: A [rank, x.Length], Bᵀ [rank, y.Length].</summary>
    private static void AddLowRank(ReadOnlySpan<float> x, float* a, float* bTransposed, int rank, float scale, Span<float> y)
    {
        for (var j = 0; j < rank; j++)
        {
            var low = scale * TensorPrimitives.Dot(new ReadOnlySpan<float>(a + (long)j * x.Length, x.Length), x);
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(bTransposed + (long)j * y.Length, y.Length), low, y, y);
        }
    }

    /// <summary>Row b's adapters on <paramref name="modulePath"/> in the per-token kernels' layout, with their w·s; null when no row adapts it.</summary>
    private RowTerm[][]? RowTermsFor(string modulePath, ScalarType layoutType)
    {
        lock (gate)
        {
            if (rowTerms.TryGetValue((modulePath, layoutType), out var cached)) return cached;
            var built = rows.Select(row => row
                    .Where(adapter => adapter.Weight != 0)
                    .Select(adapter => (adapter, Layout: adapter.Adapter.GetRowLayout(modulePath, layoutType)))
                    .Where(pair => pair.Layout is not null)
                    .Select(pair => new RowTerm(pair.Layout!, (float)(pair.adapter.Weight * pair.adapter.Adapter.Scale)))
                    .ToArray())
                .ToArray();
            var result = built.Any(row => row.Length > 0) ? built : null;
            rowTerms[(modulePath, layoutType)] = result;
            return result;
        }
    }

    private ModuleStacks? StacksFor(string modulePath)
    {
        lock (gate)
        {
            if (stacks.TryGetValue(modulePath, out var cached)) return cached;
            var pairs = rows
                .SelectMany((row, index) => row.Where(adapter => adapter.Weight != 0)
                    .Select(adapter => (Row: index, adapter.Weight, adapter.Adapter, Pair: adapter.Adapter.Get(modulePath, dtype))))
                .Where(pair => pair.Pair is not null)
                .ToArray();
            var stackDtype = dtype;
            ModuleStacks? built = null;
            var atMostOnePerRow = pairs.DistinctBy(pair => pair.Row).Count() == pairs.Length;
            // Every row once at one rank already stacks as it is below (training's batches always do).
            var needsPadding = pairs.Length < rows.Count || pairs.Select(pair => pair.Pair!.A.shape[0]).Distinct().Count() > 1;
            if (pairs.Length > 0 && atMostOnePerRow && needsPadding)
            {
                built = new ModuleStacks([EveryRowOnce(pairs.Select(pair => (pair.Row, (float)(pair.Weight * pair.Adapter.Scale), pair.Pair!)).ToArray())]);
            }
            else if (pairs.Length > 0)
            {
                var groups = pairs.GroupBy(pair => pair.Pair!.A.shape[0]).Select(group =>
                {
                    var members = group.ToArray();
                    using var scope = NewDisposeScope();
                    var rowIndex = tensor(members.Select(member => (long)member.Row).ToArray());
                    var aTransposed = stack(members.Select(member => member.Pair!.A.t()).ToArray()).to(stackDtype); // [pairs, in, r]
                    var scales = tensor(members.Select(member => (float)(member.Weight * member.Adapter.Scale)).ToArray())
                        .to(stackDtype).view(-1, 1, 1);                                                 // [pairs, 1, 1]
                    // w·s folded into B once per batch composition, not multiplied at every step.
                    var bScaledTransposed = stack(members.Select(member => member.Pair!.B.t()).ToArray()).to(stackDtype) * scales; // [pairs, r, out]
                    var coversEveryRowOnce = members.Length == rows.Count && members.Select((member, index) => member.Row == index).All(same => same);
                    return new RankGroup(rowIndex.DetachFromDisposeScope(), aTransposed.contiguous().DetachFromDisposeScope(),
                        bScaledTransposed.contiguous().DetachFromDisposeScope(), coversEveryRowOnce);
                }).ToArray();
                built = new ModuleStacks(groups);
            }
            stacks[modulePath] = built;
            return built;
        }
    }

    /// <summary>
    /// One stack over every row when no row has two adapters on this module: a row without one gets zeros, a row of
    /// lower rank is padded with zeros to the highest rank. Both leave its correction as it was, and two bmm over all
    /// rows cost less than a zeroed delta plus gather, bmm, bmm and scatter per rank group: a tsuzumi-nano decode step of
    /// three rows, one of them on the base model (a fan-out to finance, medical and general), went from 5.2 to 3.6 ms
    /// (docs/benchmarks.md, "Fan-out, second pass").
    /// </summary>
    private RankGroup EveryRowOnce(IReadOnlyList<(int Row, float Scale, LoraPair Pair)> pairs)
    {
        var rank = pairs.Max(pair => pair.Pair.A.shape[0]);
        var inFeatures = pairs[0].Pair.A.shape[1];
        var outFeatures = pairs[0].Pair.B.shape[0];
        using var scope = NewDisposeScope();
        // Built by stacking each row's own tensors, a handful of operations per row: a batch that changes composition
        // (a row joins or leaves) builds this for every adapted module, so its cost is paid several times per fan-out.
        var byRow = pairs.ToDictionary(pair => pair.Row);
        Tensor? noA = null, noB = null; // shared by every row without an adapter here
        var aRows = new Tensor[rows.Count];
        var bRows = new Tensor[rows.Count];
        for (var row = 0; row < rows.Count; row++)
        {
            if (!byRow.TryGetValue(row, out var own))
            {
                aRows[row] = noA ??= zeros(new[] { inFeatures, rank }, dtype: dtype);
                bRows[row] = noB ??= zeros(new[] { rank, outFeatures }, dtype: dtype);
                continue;
            }
            var missing = rank - own.Pair.A.shape[0];
            var a = own.Pair.A.t();                  // [in, own rank]
            var b = own.Pair.B.t().Times(own.Scale); // [own rank, out]; w·s folded in once per batch composition, not at every step
            aRows[row] = missing == 0 ? a : nn.functional.pad(a, [0, missing]);        // zero columns up to the rank
            bRows[row] = missing == 0 ? b : nn.functional.pad(b, [0, 0, 0, missing]); // zero rows up to the rank
        }
        var aTransposed = stack(aRows).to(dtype);        // [rows, in, r]
        var bScaledTransposed = stack(bRows).to(dtype);  // [rows, r, out]
        return new RankGroup(TensorArithmetic.Range(rows.Count).DetachFromDisposeScope(), aTransposed.DetachFromDisposeScope(), bScaledTransposed.DetachFromDisposeScope(),
            CoversEveryRowOnce: true);
    }

    public void Dispose()
    {
        lock (gate)
        {
            foreach (var group in stacks.Values.Where(module => module is not null).SelectMany(module => module!.Groups))
            {
                group.Rows.Dispose();
                group.ATransposed.Dispose();
                group.BScaledTransposed.Dispose();
            }
            stacks.Clear();
            rowTerms.Clear(); // the layouts belong to the adapters
        }
    }

    /// <summary>One adapter of one row, in the native kernel's layout, with its mixing weight times its scale.</summary>
    private readonly record struct RowTerm(LoraRowLayout Layout, float Scale);

    /// <param name="CoversEveryRowOnce">The pairs are exactly rows 0..n−1, in order: no gather or scatter is needed.</param>
    private sealed record RankGroup(Tensor Rows, Tensor ATransposed, Tensor BScaledTransposed, bool CoversEveryRowOnce);

    private sealed record ModuleStacks(RankGroup[] Groups);
}
