using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Model;

public sealed class LlamaForCausalLMTests
{
    private static readonly long[] Prompt = [5, 17, 42, 3, 88, 60, 1, 23];

    [Theory]
    [InlineData(4, 4)]
    [InlineData(4, 2)]
    [InlineData(4, 1)]
    [InlineData(8, 2)]
    public void Decoding_with_the_kv_cache_matches_a_full_forward_for_any_gqa_ratio(int heads, int kvHeads)
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig(heads, kvHeads)), ScalarType.Float32);

        var full = FullLogits(model, Prompt);
        using var cache = model.CreateCache();
        using var prefill = model.Forward(Ids(Prompt[..5]), [cache], lastOnly: false);
        var incremental = new List<float[]>();
        for (var i = 0; i < 5; i++) incremental.Add(Row(prefill, i));
        for (var i = 5; i < Prompt.Length; i++)
        {
            using var step = model.Forward(Ids(Prompt[i..(i + 1)]), [cache]);
            incremental.Add(Row(step, 0));
        }

        for (var position = 0; position < Prompt.Length; position++)
            AssertClose(full[position], incremental[position], 1e-4f, $"position {position}");
    }

    [Fact]
    public void A_batch_of_sequences_at_different_positions_equals_each_run_alone()
    {
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);
        long[][] prompts = [[1, 2, 3], [9, 8, 7, 6, 5], [40]];
        long[] next = [11, 12, 13];

        var alone = prompts.Select((prompt, row) =>
        {
            using var cache = model.CreateCache();
            model.Forward(Ids(prompt), [cache]).Dispose();
            using var logits = model.Forward(Ids([next[row]]), [cache]);
            return Row(logits, 0);
        }).ToArray();

        var caches = prompts.Select(prompt =>
        {
            var cache = model.CreateCache();
            model.Forward(Ids(prompt), [cache]).Dispose();
            return cache;
        }).ToArray();
        using var batched = model.Forward(tensor(next, new long[] { 3, 1 }), caches);
        for (var row = 0; row < 3; row++) AssertClose(alone[row], Row(batched, row), 1e-4f, $"row {row}");
        foreach (var cache in caches) cache.Dispose();
    }

    [Fact]
    public void Half_split_rope_equals_adjacent_pair_rope_with_permuted_query_and_key_rows()
    {
        var halfSplit = SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig(layout: RopeLayout.HalfSplit));
        var adjacent = halfSplit with
        {
            Config = halfSplit.Config with { RopeLayout = RopeLayout.AdjacentPairs },
            Tensors = halfSplit.Tensors.ToDictionary(pair => pair.Key, pair => PermuteIfQueryOrKey(pair.Value, halfSplit.Config)),
        };
        using var a = LlamaForCausalLM.Load(halfSplit, ScalarType.Float32);
        using var b = LlamaForCausalLM.Load(adjacent, ScalarType.Float32);

        var expected = FullLogits(a, Prompt);
        var actual = FullLogits(b, Prompt);
        for (var position = 0; position < Prompt.Length; position++) AssertClose(expected[position], actual[position], 1e-4f, $"position {position}");
    }

    [Fact]
    public void Bf16_compute_stays_close_to_fp32_and_picks_mostly_the_same_tokens()
    {
        var checkpoint = SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig(tied: true, bias: true));
        using var fp32 = LlamaForCausalLM.Load(checkpoint, ScalarType.Float32);
        using var bf16 = LlamaForCausalLM.Load(checkpoint, ScalarType.BFloat16);

        var exact = FullLogits(fp32, Prompt);
        var reduced = FullLogits(bf16, Prompt);
        var agreements = exact.Zip(reduced, (x, y) => Inference.Generation.Sampler.ArgMax(x) == Inference.Generation.Sampler.ArgMax(y)).Count(same => same);
        var scale = exact.SelectMany(row => row).Max(Math.Abs);
        var worst = exact.Zip(reduced, (x, y) => x.Zip(y, (p, q) => Math.Abs(p - q)).Max()).Max();
        Assert.InRange(worst / scale, 0f, 0.08f);
        Assert.True(agreements >= Prompt.Length - 1, $"argmax agreed on {agreements} of {Prompt.Length} positions");
    }

    [Theory]
    [InlineData("linear")]
    [InlineData("llama3")]
    public void Rope_scaling_changes_positions_but_not_the_first_token(string type)
    {
        var plain = SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig());
        var scaled = plain with { Config = plain.Config with { RopeScaling = new RopeScaling(type, 8.0, 1.0, 4.0, 16) } };
        using var a = LlamaForCausalLM.Load(plain, ScalarType.Float32);
        using var b = LlamaForCausalLM.Load(scaled, ScalarType.Float32);

        var unscaled = FullLogits(a, Prompt);
        var rescaled = FullLogits(b, Prompt);
        AssertClose(unscaled[0], rescaled[0], 1e-5f, "position 0 has angle 0 under any scaling");
        Assert.True(unscaled[^1].Zip(rescaled[^1], (x, y) => Math.Abs(x - y)).Max() > 1e-3f, "later positions must feel the scaling");
    }

    [Fact]
    public void Linear_rope_scaling_divides_every_frequency_by_the_factor()
    {
        var plain = RotaryEmbedding.InverseFrequencies(8, 10000, null);
        var linear = RotaryEmbedding.InverseFrequencies(8, 10000, new RopeScaling("linear", 4));
        Assert.Equal(plain.Select(f => f / 4), linear);
    }

    [Fact]
    public void Llama3_rope_scaling_keeps_high_frequencies_and_slows_low_ones()
    {
        var plain = RotaryEmbedding.InverseFrequencies(128, 500000, null);
        var scaled = RotaryEmbedding.InverseFrequencies(128, 500000, new RopeScaling("llama3", 8, 1, 4, 8192));
        Assert.Equal(plain[0], scaled[0]);                  // wavelength 2π ≪ 8192/4
        Assert.Equal(plain[^1] / 8, scaled[^1], 12);        // wavelength ≫ 8192
    }

    [Fact]
    public void A_missing_tensor_is_named_in_the_error()
    {
        var checkpoint = SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig());
        var incomplete = checkpoint with { Tensors = checkpoint.Tensors.Where(pair => pair.Key != "model.layers.1.mlp.up_proj.weight").ToDictionary() };

        var error = Assert.Throws<ModelFormatException>(() => LlamaForCausalLM.Load(incomplete, ScalarType.Float32));
        Assert.Equal("model.layers.1.mlp.up_proj.weight", error.Item);
        Assert.Contains("missing", error.Message);
    }

    [Fact]
    public void An_extra_tensor_is_named_in_the_error()
    {
        var checkpoint = SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig());
        var extra = new Dictionary<string, CheckpointTensor>(checkpoint.Tensors)
        {
            ["model.layers.0.self_attn.rotary_scale"] = new("model.layers.0.self_attn.rotary_scale", [4], "F32", () => new float[4]),
        };

        var error = Assert.Throws<ModelFormatException>(() => LlamaForCausalLM.Load(checkpoint with { Tensors = extra }, ScalarType.Float32));
        Assert.Equal("model.layers.0.self_attn.rotary_scale", error.Item);
    }

    [Fact]
    public void A_mis_shaped_tensor_is_named_with_both_shapes()
    {
        var checkpoint = SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig());
        var tensors = new Dictionary<string, CheckpointTensor>(checkpoint.Tensors)
        {
            ["model.norm.weight"] = new("model.norm.weight", [31], "F32", () => new float[31]),
        };

        var error = Assert.Throws<ModelFormatException>(() => LlamaForCausalLM.Load(checkpoint with { Tensors = tensors }, ScalarType.Float32));
        Assert.Contains("[31]", error.Message);
        Assert.Contains("[32]", error.Message);
    }

    [Fact]
    public void Running_past_the_context_window_is_a_clear_error()
    {
        var checkpoint = SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig() with { MaxPositionEmbeddings = 6 });
        using var model = LlamaForCausalLM.Load(checkpoint, ScalarType.Float32);
        using var cache = model.CreateCache();

        var error = Assert.Throws<ContextWindowExceededException>(() => model.Forward(Ids(Prompt), [cache]));
        Assert.Equal(6, error.ContextWindow);
        Assert.Equal(0, cache.Length);
    }

    internal static float[][] FullLogits(LlamaForCausalLM model, long[] ids)
    {
        using var cache = model.CreateCache();
        using var logits = model.Forward(Ids(ids), [cache], lastOnly: false);
        return Enumerable.Range(0, ids.Length).Select(position => Row(logits, position)).ToArray();
    }

    internal static Tensor Ids(long[] ids) => tensor(ids, new long[] { 1, ids.Length });

    /// <summary>Row <paramref name="index"/> of [1, seq, vocab] (position) or [batch, 1, vocab] (batch row).</summary>
    internal static float[] Row(Tensor logits, int index) =>
        (logits.shape[0] == 1 ? logits[0, index] : logits[index, 0]).data<float>().ToArray();

    internal static void AssertClose(float[] expected, float[] actual, float tolerance, string where)
    {
        var worst = expected.Zip(actual, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= tolerance, $"{where}: largest logit difference {worst} > {tolerance}");
    }

    /// <summary>llama.cpp's convert_hf_to_gguf permutation: half-split rows → adjacent-pair rows, per head.</summary>
    private static CheckpointTensor PermuteIfQueryOrKey(CheckpointTensor source, LlamaConfig config)
    {
        var isQuery = source.Name.EndsWith("q_proj.weight", StringComparison.Ordinal);
        var isKey = source.Name.EndsWith("k_proj.weight", StringComparison.Ordinal);
        if (!isQuery && !isKey) return source;
        var heads = isQuery ? config.NumAttentionHeads : config.NumKeyValueHeads;
        return source with
        {
            ReadFloat32 = () =>
            {
                using var weights = tensor(source.ReadFloat32(), source.Shape);
                // [heads, 2, headDim/2, in] → [heads, headDim/2, 2, in]
                return weights.reshape(heads, 2, source.Shape[0] / heads / 2, source.Shape[1]).swapaxes(1, 2).reshape(source.Shape)
                    .contiguous().data<float>().ToArray();
            },
        };
    }
}
