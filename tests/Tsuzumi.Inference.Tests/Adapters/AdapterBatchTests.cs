using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Adapters;

/// <summary>Unmerged multi-LoRA: rows of one batch use different adapters over one frozen base.</summary>
public sealed class AdapterBatchTests : IDisposable
{
    private static readonly long[] Prompt = [5, 17, 42, 3, 88, 60];
    private readonly LlamaConfig config = SyntheticCheckpoint.SmallConfig();
    private readonly LlamaForCausalLM model;
    private readonly LoraAdapter finance;
    private readonly LoraAdapter medical;

    public AdapterBatchTests()
    {
        model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(config), ScalarType.Float32);
        finance = SyntheticAdapter.Create(config, "finance", rank: 4, seed: 11);
        medical = SyntheticAdapter.Create(config, "medical", rank: 8, seed: 12, targets: ["q_proj", "v_proj", "down_proj"]);
    }

    [Fact]
    public void A_mixed_batch_equals_each_request_run_alone()
    {
        IReadOnlyList<WeightedAdapter>[] rowAdapters = [[new(finance)], [new(medical)], [], [new(finance, 0.7f), new(medical, 0.3f)]];
        long[][] prompts = [[1, 2, 3], [9, 8, 7, 6], [40, 41], [12, 13, 14, 15, 16]];
        long[] next = [20, 21, 22, 23];

        var alone = rowAdapters.Select((adapters, row) =>
        {
            using var batch = new AdapterBatch([adapters], ScalarType.Float32);
            using var cache = model.CreateCache();
            model.Forward(LlamaForCausalLMTests.Ids(prompts[row]), [cache], adapters: batch).Dispose();
            using var logits = model.Forward(LlamaForCausalLMTests.Ids([next[row]]), [cache], adapters: batch);
            return LlamaForCausalLMTests.Row(logits, 0);
        }).ToArray();

        var caches = rowAdapters.Select((adapters, row) =>
        {
            var cache = model.CreateCache();
            using var single = new AdapterBatch([adapters], ScalarType.Float32);
            model.Forward(LlamaForCausalLMTests.Ids(prompts[row]), [cache], adapters: single).Dispose();
            return cache;
        }).ToArray();
        using var mixed = new AdapterBatch(rowAdapters, ScalarType.Float32);
        using var batched = model.Forward(tensor(next, new long[] { 4, 1 }), caches, adapters: mixed);

        for (var row = 0; row < 4; row++) LlamaForCausalLMTests.AssertClose(alone[row], LlamaForCausalLMTests.Row(batched, row), 1e-4f, $"row {row}");
        Assert.NotEqual(alone[0], alone[2]); // the adapter must actually change something
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void Rows_on_the_base_model_or_a_lower_rank_beside_adapted_rows_equal_their_runs_alone()
    {
        // A fan-out's batch: finance (rank 4, every module), medical (rank 8, three modules), general (no adapter). No
        // row has two adapters, so each module takes one zero-padded stack over all three rows.
        IReadOnlyList<WeightedAdapter>[] rowAdapters = [[new(finance)], [new(medical)], []];
        long[][] prompts = [[1, 2, 3, 4], [9, 8, 7, 6], [40, 41, 42, 43]];

        var alone = rowAdapters.Select((adapters, row) =>
        {
            using var batch = new AdapterBatch([adapters], ScalarType.Float32);
            using var cache = model.CreateCache();
            using var logits = model.Forward(LlamaForCausalLMTests.Ids(prompts[row]), [cache], adapters: batch);
            return LlamaForCausalLMTests.Row(logits, 0);
        }).ToArray();
        var caches = rowAdapters.Select(_ => model.CreateCache()).ToArray();
        using var together = new AdapterBatch(rowAdapters, ScalarType.Float32);
        using var batched = model.Forward(tensor(prompts.SelectMany(prompt => prompt).ToArray(), new long[] { 3, 4 }), caches, adapters: together);

        for (var row = 0; row < 3; row++) LlamaForCausalLMTests.AssertClose(alone[row], LlamaForCausalLMTests.Row(batched, row), 1e-4f, $"row {row}");
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void Rows_kept_when_others_finish_compute_what_a_batch_built_for_them_does()
    {
        IReadOnlyList<WeightedAdapter>[] rowAdapters = [[new(finance)], [new(medical)], [], [new(medical, 0.5f)]];
        long[] next = [20, 21, 22, 23];
        using var all = new AdapterBatch(rowAdapters, ScalarType.Float32);
        var caches = rowAdapters.Select(_ => model.CreateCache()).ToArray();
        model.Forward(tensor(next, new long[] { 4, 1 }), caches, adapters: all).Dispose(); // stacks every adapted module
        foreach (var cache in caches) cache.Truncate(0);

        using var kept = all.Keep([1, 2, 3]); // row 0 finished
        using var built = new AdapterBatch(rowAdapters[1..], ScalarType.Float32);
        float[][] Logits(AdapterBatch adapters)
        {
            var rows = caches[1..];
            using var logits = model.Forward(tensor(next[1..], new long[] { 3, 1 }), rows, adapters: adapters);
            foreach (var cache in rows) cache.Truncate(0);
            return [.. Enumerable.Range(0, 3).Select(row => LlamaForCausalLMTests.Row(logits, row))];
        }

        var expected = Logits(built);
        var actual = Logits(kept);
        for (var row = 0; row < 3; row++) LlamaForCausalLMTests.AssertClose(expected[row], actual[row], 1e-6f, $"kept row {row}");
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void Weight_zero_gives_exactly_the_base_model()
    {
        var baseLogits = Logits(null);
        using var zero = new AdapterBatch([[new(finance, 0f)]], ScalarType.Float32);

        Assert.Equal(baseLogits, Logits(zero));
    }

    [Fact]
    public void Unmerged_serving_equals_the_merged_weights()
    {
        using var unmerged = new AdapterBatch([[new(finance)]], ScalarType.Float32);
        var expected = Logits(unmerged);

        LoraMerge.Merge(model, finance);
        var merged = Logits(null);
        LoraMerge.Unmerge(model, finance);
        var restored = Logits(null);
        using var none = AdapterBatch.None(1, ScalarType.Float32);

        LlamaForCausalLMTests.AssertClose(expected, merged, 1e-4f, "merged");
        LlamaForCausalLMTests.AssertClose(Logits(none), restored, 1e-4f, "unmerged again");
    }

    [Fact]
    public void A_weighted_mix_equals_the_explicit_weighted_sum_of_low_rank_updates()
    {
        using var mixed = new AdapterBatch([[new(finance, 0.7f), new(medical, 0.3f)]], ScalarType.Float32);

        // The same update written as one adapter: A = [A_f; A_m], B = [0.7·s_f·B_f, 0.3·s_m·B_m], scale 1.
        var pairs = new Dictionary<string, LoraPair>();
        foreach (var modulePath in finance.Pairs.Keys.Union(medical.Pairs.Keys))
        {
            var (inFeatures, outFeatures) = LoraTargets.Shape(config, modulePath.Split('.')[^1]);
            var f = finance.Pairs.GetValueOrDefault(modulePath);
            var m = medical.Pairs.GetValueOrDefault(modulePath);
            var a = cat(new[] { f?.A ?? zeros(1, inFeatures), m?.A ?? zeros(1, inFeatures) }, 0);
            var b = cat(new[]
            {
                f is null ? zeros(outFeatures, 1) : f.B.Times((float)(0.7 * finance.Scale)),
                m is null ? zeros(outFeatures, 1) : m.B.Times((float)(0.3 * medical.Scale)),
            }, 1);
            pairs[modulePath] = new LoraPair(a, b);
        }
        var ranks = pairs.Values.Select(pair => (int)pair.A.shape[0]).Distinct().ToArray();
        using var explicitSum = new LoraAdapter("sum", "v", new LoraConfig(ranks[0], ranks[0], LoraTargets.All), pairs);
        using var single = new AdapterBatch([[new(explicitSum)]], ScalarType.Float32);

        LlamaForCausalLMTests.AssertClose(Logits(single), Logits(mixed), 1e-4f, "weighted mix");
    }

    [Fact]
    public void Bf16_rows_with_different_adapters_stay_close_to_fp32()
    {
        using var bf16Model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(config), ScalarType.BFloat16);
        using var fp32Batch = new AdapterBatch([[new(finance)], [new(medical)]], ScalarType.Float32);
        using var bf16Batch = new AdapterBatch([[new(finance)], [new(medical)]], ScalarType.BFloat16);

        var exact = BatchLogits(model, fp32Batch);
        var reduced = BatchLogits(bf16Model, bf16Batch);
        var scale = exact.SelectMany(row => row).Max(Math.Abs);
        var worst = exact.Zip(reduced, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).Max()).Max();
        Assert.InRange(worst / scale, 0f, 0.08f);
    }

    [Theory]
    [InlineData(ScalarType.BFloat16, 1)]  // decode steps, native kernel
    [InlineData(ScalarType.BFloat16, 3)]  // a short joint prefill: token t belongs to row t / 3
    [InlineData(ScalarType.Float32, 1)]   // decode steps of an fp32 model
    [InlineData(ScalarType.Float32, 11)]  // a fan-out's joint prefill
    public void Tokens_through_the_per_token_path_match_the_stacked_fp32_corrections(ScalarType dtype, int sequence)
    {
        if (dtype == ScalarType.BFloat16)
            Assert.SkipUnless(NativeBf16Rows.Available, "the native bf16 kernel is not available here (needs gcc at build time and AVX512_BF16)");
        using var scope = NewDisposeScope();
        // Three modules sharing one input, as q/k/v do; widths off the kernels' vector steps to reach their tails.
        const int inFeatures = 100;
        (string Path, int Out)[] modules = [("m.q_proj", 72), ("m.k_proj", 24), ("m.v_proj", 24)];
        var big = Adapter("big", rank: 8, seed: 1, modules);
        var small = Adapter("small", rank: 3, seed: 2, modules[..2]); // no v_proj
        IReadOnlyList<WeightedAdapter>[] rowAdapters = [[new(big)], [], [new(small)], [new(big, 0.7f), new(small, 0.3f)]];
        using var batch = new AdapterBatch(rowAdapters, ScalarType.Float32);
        var generator = new Generator(7);
        var input = randn(new long[] { rowAdapters.Length, sequence, inFeatures }, generator: generator).to(dtype);
        var baseOutput = randn(new long[] { rowAdapters.Length, sequence, modules.Sum(module => module.Out) }, generator: generator).to(dtype);

        var expected = baseOutput.to(ScalarType.Float32).Plus(cat(modules.Select(module =>
            batch.Delta(module.Path, input.to(ScalarType.Float32), module.Out) ?? zeros(rowAdapters.Length, sequence, module.Out)).ToArray(), -1));
        var actual = baseOutput.clone();
        var ranges = modules.Select((module, index) => (module.Path, modules[..index].Sum(previous => previous.Out), module.Out)).ToArray();

        Assert.True(batch.TryAddInto(input, actual, ranges));
        var correction = (expected - baseOutput.to(ScalarType.Float32)).abs().max().item<float>();
        Assert.True(correction > 0.1f, "the adapters must change the output");
        var difference = (actual.to(ScalarType.Float32) - expected).abs();
        // bf16: bf16 factors (8 bits of mantissa) and one bf16 rounding of the sum; fp32: another summation order.
        var tolerance = dtype == ScalarType.BFloat16
            ? expected.abs().DividedBy(128).Plus(correction * 0.02f)
            : zeros_like(expected).Plus(1e-5f * Math.Max(1f, expected.abs().max().item<float>()));
        Assert.True(difference.le(tolerance).all().item<bool>(), $"largest difference {difference.max().item<float>()} (correction up to {correction})");
        // Row 1 runs the base model: untouched, bit for bit.
        Assert.True(actual[1].eq(baseOutput[1]).all().item<bool>());

        // A batch narrowed to rows 3 and 0 (others finished) adds exactly what the full batch added to them.
        using var kept = batch.Keep([0, 3]);
        var keptOutput = baseOutput.index_select(0, tensor(new long[] { 0, 3 })).clone();
        Assert.True(kept.TryAddInto(input.index_select(0, tensor(new long[] { 0, 3 })), keptOutput, ranges));
        Assert.True(keptOutput.eq(actual.index_select(0, tensor(new long[] { 0, 3 }))).all().item<bool>());
    }

    [Fact]
    public void Prefills_longer_than_the_per_token_limits_are_left_to_the_stacked_path()
    {
        using var scope = NewDisposeScope();
        var adapter = Adapter("a", rank: 4, seed: 3, [("m.q_proj", 16)]);
        using var batch = new AdapterBatch([[new(adapter)]], ScalarType.Float32);
        (string, int, int)[] ranges = [("m.q_proj", 0, 16)];

        var longest = AdapterBatch.Float32TokenLimit;
        Assert.True(batch.TryAddInto(zeros(1, longest, 100), zeros(1, longest, 16), ranges));
        Assert.False(batch.TryAddInto(zeros(1, longest + 1, 100), zeros(1, longest + 1, 16), ranges));
        Assert.False(batch.TryAddInto(zeros(new long[] { 1, SingleRowProjection.MaxRows + 1, 100 }, dtype: ScalarType.BFloat16),
            zeros(new long[] { 1, SingleRowProjection.MaxRows + 1, 16 }, dtype: ScalarType.BFloat16), ranges));
    }

    private static LoraAdapter Adapter(string id, int rank, int seed, IReadOnlyList<(string Path, int Out)> modules, int inFeatures = 100)
    {
        var generator = new Generator((ulong)seed);
        var pairs = modules.ToDictionary(module => module.Path, module =>
            new LoraPair(randn(rank, inFeatures, generator: generator).Times(0.1), randn(module.Out, rank, generator: generator).Times(0.1)));
        return new LoraAdapter(id, $"v{seed}", new LoraConfig(rank, 2 * rank, LoraTargets.All), pairs);
    }

    private float[] Logits(AdapterBatch? adapters)
    {
        using var cache = model.CreateCache();
        using var logits = model.Forward(LlamaForCausalLMTests.Ids(Prompt), [cache], adapters: adapters);
        return LlamaForCausalLMTests.Row(logits, 0);
    }

    private static float[][] BatchLogits(LlamaForCausalLM target, AdapterBatch adapters)
    {
        var caches = new[] { target.CreateCache(), target.CreateCache() };
        var ids = tensor(new long[] { 1, 2, 3, 4, 5, 6, 7, 8 }, new long[] { 2, 4 });
        using var logits = target.Forward(ids, caches, adapters: adapters);
        foreach (var cache in caches) cache.Dispose();
        return [LlamaForCausalLMTests.Row(logits, 0), LlamaForCausalLMTests.Row(logits, 1)];
    }

    public void Dispose()
    {
        model.Dispose();
        finance.Dispose();
        medical.Dispose();
    }
}
