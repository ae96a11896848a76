using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Adapters;

/// <summary>llama.cpp's GGUF LoRA files, imported and exported, against the same adapter in PEFT layout.</summary>
public sealed class GgufLoraFormatTests : IDisposable
{
    private static readonly long[] Prompt = [5, 17, 42, 3, 88, 60, 9];
    private static readonly string[] AllTargets = [.. LoraTargets.Layers, LoraTargets.Head];

    private readonly LlamaConfig config = SyntheticCheckpoint.SmallConfig(); // Hugging Face layout: half-split q/k rows
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-gguf-lora-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_file_written_by_hand_from_llama_cpp_s_layout_serves_like_the_same_adapter_in_peft_layout()
    {
        using var original = SyntheticAdapter.Create(config, "finance", rank: 4, seed: 5, alpha: 8, targets: AllTargets);
        var peftFolder = Path.Combine(folder, "finance");
        PeftAdapterFormat.Save(original, peftFolder);
        var ggufPath = Path.Combine(folder, "finance.gguf");
        HandWrittenGgufLora.From(original, config).Write(ggufPath);

        using var fromPeft = LoraAdapter.Load(peftFolder, config);
        using var fromGguf = LoraAdapter.Load(ggufPath, config);

        Assert.Equal("finance", fromGguf.Id);
        Assert.Equal(fromPeft.Scale, fromGguf.Scale);
        Assert.Equal(fromPeft.Config.Rank, fromGguf.Config.Rank);
        Assert.Equal(AllTargets, fromGguf.Config.TargetModules);
        foreach (var (modulePath, pair) in fromPeft.Pairs)
        {
            Assert.Equal(pair.A.data<float>().ToArray(), fromGguf.Pairs[modulePath].A.data<float>().ToArray());
            Assert.Equal(pair.B.data<float>().ToArray(), fromGguf.Pairs[modulePath].B.data<float>().ToArray());
        }
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(config), ScalarType.Float32);
        var peftLogits = NextLogits(model, fromPeft);
        var ggufLogits = NextLogits(model, fromGguf);
        LlamaForCausalLMTests.AssertClose(peftLogits, ggufLogits, 1e-4f, "GGUF vs PEFT");
        Assert.True(MaxDifference(peftLogits, NextLogits(model, null)) > 1e-2f, "the adapter must change the output");
    }

    [Fact]
    public void Reading_q_and_k_rows_without_undoing_llama_cpp_s_permutation_would_be_caught()
    {
        // The control for the test above: a file whose q/k lora_b rows were not permuted must load to other logits.
        using var original = SyntheticAdapter.Create(config, "finance", rank: 4, seed: 5, targets: ["q_proj", "k_proj"]);
        var ggufPath = Path.Combine(folder, "unpermuted.gguf");
        HandWrittenGgufLora.From(original, config, permuteQueryKey: false).Write(ggufPath);

        using var misread = LoraAdapter.Load(ggufPath, config);
        using var model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(config), ScalarType.Float32);

        Assert.True(MaxDifference(NextLogits(model, original), NextLogits(model, misread)) > 1e-3f);
    }

    [Fact]
    public void On_a_base_loaded_from_a_llama_gguf_the_rows_stay_in_llama_cpp_s_order()
    {
        // A llama GGUF base keeps GGML's adjacent-pair rows in memory, so the adapter's rows must not move.
        var ggufBase = config with { RopeLayout = RopeLayout.AdjacentPairs };
        using var original = SyntheticAdapter.Create(ggufBase, "a", targets: ["q_proj", "k_proj"]);
        var path = Path.Combine(folder, "a.gguf");
        HandWrittenGgufLora.From(original, ggufBase, permuteQueryKey: false).Write(path);

        using var loaded = LoraAdapter.Load(path, ggufBase);

        foreach (var (modulePath, pair) in original.Pairs)
            Assert.Equal(pair.B.data<float>().ToArray(), loaded.Pairs[modulePath].B.data<float>().ToArray());
    }

    [Fact]
    public void An_adapter_of_some_layers_only_loads_as_llama_cpp_accepts_it()
    {
        // PEFT's layers_to_transform: llama.cpp adapts whichever weights the file names.
        using var original = SyntheticAdapter.Create(config, "a", targets: ["q_proj", "o_proj"]);
        var file = HandWrittenGgufLora.From(original, config);
        file.Tensors.RemoveAll(entry => entry.Name.StartsWith("blk.0.", StringComparison.Ordinal));
        var path = Path.Combine(folder, "partial.gguf");
        file.Write(path);

        using var loaded = LoraAdapter.Load(path, config);

        Assert.Equal(["model.layers.1.self_attn.o_proj", "model.layers.1.self_attn.q_proj"], loaded.Pairs.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["q_proj", "o_proj"], loaded.Config.TargetModules);
    }

    [Theory]
    [InlineData(GgufTensorType.F16, 1e-3)]
    [InlineData(GgufTensorType.BF16, 4e-3)]
    [InlineData(GgufTensorType.Q8_0, 4e-3)]
    public void Half_precision_and_q8_0_tensors_load_within_their_rounding(GgufTensorType type, double tolerance)
    {
        // Q8_0 blocks hold 32 values along ne[0]: lora_a's rows are the 32 hidden features, lora_b's are the rank.
        using var original = SyntheticAdapter.Create(config, "a", rank: 32, seed: 2, targets: ["q_proj", "up_proj"]);
        var path = Path.Combine(folder, "typed.gguf");
        HandWrittenGgufLora.From(original, config, type: type).Write(path);

        using var loaded = LoraAdapter.Load(path, config);

        foreach (var (modulePath, pair) in original.Pairs)
        {
            Assert.True(pair.A.allclose(loaded.Pairs[modulePath].A, rtol: 0, atol: tolerance), $"{modulePath} A");
            Assert.True(pair.B.allclose(loaded.Pairs[modulePath].B, rtol: 0, atol: tolerance), $"{modulePath} B");
        }
    }

    [Theory]
    [InlineData(0f, 1.0)]     // llama.cpp: alpha 0 (or absent) → scale 1
    [InlineData(16f, 4.0)]    // alpha / rank, rank taken from lora_b
    public void The_scale_follows_llama_cpp_s_rule(float alpha, double expectedScale)
    {
        using var original = SyntheticAdapter.Create(config, "a", rank: 4, targets: ["v_proj"]);
        var file = HandWrittenGgufLora.From(original, config);
        file.Set("adapter.lora.alpha", GgufValue.Float32(alpha));
        var path = Path.Combine(folder, "a.gguf");
        file.Write(path);

        using var loaded = LoraAdapter.Load(path, config);

        Assert.Equal(expectedScale, loaded.Scale, 1e-12);
    }

    [Fact]
    public void An_exported_adapter_loads_back_identically_with_a_version_that_hashes_the_file()
    {
        using var created = SyntheticAdapter.Create(config, "org", rank: 8, seed: 9, alpha: 4, targets: AllTargets);
        using var original = new LoraAdapter("org", "v", created.Config with { BaseModel = "synthetic-base" }, created.Pairs);
        var path = Path.Combine(folder, "org.gguf");
        GgufLoraFormat.Save(original, config, path);

        using var first = LoraAdapter.Load(path, config);
        using var second = LoraAdapter.Load(path, config);

        Assert.Equal(original.Scale, first.Scale);
        Assert.Equal("synthetic-base", first.Config.BaseModel);
        Assert.Equal(first.Version, second.Version);
        Assert.Equal(GgufLoraFormat.ContentVersion(path), first.Version);
        foreach (var (modulePath, pair) in original.Pairs)
        {
            Assert.Equal(pair.A.data<float>().ToArray(), first.Pairs[modulePath].A.data<float>().ToArray());
            Assert.Equal(pair.B.data<float>().ToArray(), first.Pairs[modulePath].B.data<float>().ToArray());
        }
        // The exporter writes what the hand-written spec file holds: the same names, ggml shapes and q/k row order.
        var handPath = Path.Combine(folder, "hand.gguf");
        HandWrittenGgufLora.From(original, config).Write(handPath);
        using var exported = GgufFile.Open(path);
        using var hand = GgufFile.Open(handPath);
        Assert.Equal(hand.Tensors.Select(info => info.Name).Order(), exported.Tensors.Select(info => info.Name).Order());
        foreach (var info in hand.Tensors)
        {
            Assert.Equal(info.Dimensions, exported.GetTensor(info.Name).Dimensions);
            Assert.Equal(hand.ReadFloat32(info), exported.ReadFloat32(info.Name));
        }
    }

    [Fact]
    public void The_version_hashed_while_loading_covers_alignment_padding_and_bytes_after_the_last_tensor()
    {
        // Rank 3 at a 256-byte alignment: every tensor (384 or 576 bytes) is followed by padding.
        using var original = SyntheticAdapter.Create(config, "padded", rank: 3, seed: 4, targets: AllTargets);
        var path = Path.Combine(folder, "padded.gguf");
        HandWrittenGgufLora.From(original, config).Write(path, alignment: 256);
        using (var stream = new FileStream(path, FileMode.Append)) stream.Write("bytes no tensor names"u8);

        using var loaded = LoraAdapter.Load(path, config);

        Assert.Equal(GgufLoraFormat.ContentVersion(path), loaded.Version);
        using var file = GgufFile.Open(path);
        Assert.Equal(256, file.Alignment);
        Assert.Contains(file.Tensors, info => info.ByteCount % 256 != 0);
        foreach (var (modulePath, pair) in original.Pairs)
            Assert.Equal(pair.A.data<float>().ToArray(), loaded.Pairs[modulePath].A.data<float>().ToArray());
    }

    [Fact]
    public void A_tensor_table_out_of_data_order_loads_each_tensor_from_its_offset_and_hashes_the_whole_file()
    {
        // Two same-shaped tensors trade data offsets, so the table lists blk.1's data before blk.0's.
        using var original = SyntheticAdapter.Create(config, "swapped", rank: 4, seed: 6, targets: ["q_proj", "v_proj"]);
        var path = Path.Combine(folder, "swapped.gguf");
        HandWrittenGgufLora.From(original, config).Write(path);
        const string first = "blk.0.attn_v.weight.lora_a", second = "blk.1.attn_v.weight.lora_a";
        var (firstOffset, secondOffset) = DataOffsets(path, first, second);
        SetDataOffset(path, first, secondOffset);
        SetDataOffset(path, second, firstOffset);

        using var loaded = LoraAdapter.Load(path, config);

        Assert.Equal(GgufLoraFormat.ContentVersion(path), loaded.Version);
        Assert.Equal(original.Pairs["model.layers.1.self_attn.v_proj"].A.data<float>().ToArray(), loaded.Pairs["model.layers.0.self_attn.v_proj"].A.data<float>().ToArray());
        Assert.Equal(original.Pairs["model.layers.0.self_attn.v_proj"].A.data<float>().ToArray(), loaded.Pairs["model.layers.1.self_attn.v_proj"].A.data<float>().ToArray());
        Assert.Equal(original.Pairs["model.layers.1.self_attn.q_proj"].B.data<float>().ToArray(), loaded.Pairs["model.layers.1.self_attn.q_proj"].B.data<float>().ToArray());
    }

    [Fact]
    public void Two_tensors_over_the_same_bytes_and_data_no_tensor_names_are_each_hashed_once()
    {
        // blk.0's lora_a points at blk.1's: its own bytes are left unreferenced (a gap) and blk.1's are read twice.
        using var original = SyntheticAdapter.Create(config, "shared", rank: 4, seed: 7, targets: ["o_proj"]);
        var path = Path.Combine(folder, "shared.gguf");
        HandWrittenGgufLora.From(original, config).Write(path);
        var (_, sharedOffset) = DataOffsets(path, "blk.0.attn_output.weight.lora_a", "blk.1.attn_output.weight.lora_a");
        SetDataOffset(path, "blk.0.attn_output.weight.lora_a", sharedOffset);

        using var loaded = LoraAdapter.Load(path, config);

        Assert.Equal(GgufLoraFormat.ContentVersion(path), loaded.Version);
        var expected = original.Pairs["model.layers.1.self_attn.o_proj"].A.data<float>().ToArray();
        Assert.Equal(expected, loaded.Pairs["model.layers.0.self_attn.o_proj"].A.data<float>().ToArray());
        Assert.Equal(expected, loaded.Pairs["model.layers.1.self_attn.o_proj"].A.data<float>().ToArray());
    }

    [Fact]
    public void A_rank_stabilised_adapter_is_exported_with_the_alpha_that_gives_llama_cpp_its_scale()
    {
        // llama.cpp always divides by r; rsLoRA's α/√r must survive as α' = α·√r.
        using var source = SyntheticAdapter.Create(config, "rs", rank: 16, alpha: 8, targets: ["q_proj"]);
        using var rsLora = new LoraAdapter("rs", "v", source.Config with { UseRsLora = true }, source.Pairs);
        var path = Path.Combine(folder, "rs.gguf");
        GgufLoraFormat.Save(rsLora, config, path);

        using var file = GgufFile.Open(path);
        Assert.Equal(8 * 4.0, file.Metadata["adapter.lora.alpha"].AsDouble(), 1e-6);
        using var loaded = LoraAdapter.Load(path, config);
        Assert.Equal(2.0, loaded.Scale, 1e-6);
    }

    [Fact]
    public void The_registry_serves_a_gguf_file_and_reloads_it_when_it_changes()
    {
        var path = Path.Combine(folder, "legal.gguf");
        using (var first = SyntheticAdapter.Create(config, "legal", seed: 1, targets: ["q_proj"]))
            HandWrittenGgufLora.From(first, config).Write(path);
        using var registry = new AdapterRegistry(config, long.MaxValue);
        registry.Register("legal", path);

        string firstVersion;
        using (var lease = registry.Acquire("legal"))
        {
            firstVersion = lease.Adapter.Version;
            Assert.Equal(GgufLoraFormat.ContentVersion(path), firstVersion);
            Assert.Equal(config.NumHiddenLayers, lease.Adapter.Pairs.Count);
        }
        using (var second = SyntheticAdapter.Create(config, "legal", seed: 2, targets: ["q_proj"]))
            HandWrittenGgufLora.From(second, config).Write(path);
        registry.Refresh("legal");
        using var reloaded = registry.Acquire("legal");
        Assert.NotEqual(firstVersion, reloaded.Adapter.Version);
    }

    public static TheoryData<string, string, string> BrokenFiles => new()
    {
        { "wrong general.type", "general.type", "not 'adapter'" },
        { "no general.type", "general.type", "missing" },
        { "adapter.type ia3", "adapter.type", "not supported" },
        { "architecture of another base", "general.architecture", "another base" },
        { "lora_a for a wider base", "blk.0.attn_q.weight.lora_a", "another base" },
        { "lora_b for a wider base", "blk.1.attn_v.weight.lora_b", "another base" },
        { "layer the base does not have", "blk.9.attn_q.weight.lora_a", "layer 9" },
        { "missing lora_b", "blk.1.attn_q.weight.lora_b", "missing" },
        { "extra norm tensor", "blk.0.attn_norm.weight", "unexpected tensor" },
        { "token embedding adapter", "token_embd.weight.lora_a", "not a linear layer" },
        { "NaN in lora_b", "blk.0.attn_v.weight.lora_b", "NaN" },
        { "infinity in lora_a", "blk.1.attn_q.weight.lora_a", "NaN or infinite" },
        { "lora_a not transposed", "blk.0.attn_q.weight.lora_a", "ggml shape" },
        { "two ranks", "blk.1.attn_v.weight.lora_b", "rank" },
        { "negative alpha", "adapter.lora.alpha", "≥ 0" },
        { "activated LoRA", "adapter.alora.invocation_tokens", "aLoRA" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void A_broken_or_foreign_file_is_refused_naming_the_key_or_tensor(string problem, string item, string messageMentions)
    {
        using var original = SyntheticAdapter.Create(config, "a", rank: 4, targets: ["q_proj", "v_proj"]);
        var file = HandWrittenGgufLora.From(original, config);
        Break(file, problem);
        var path = Path.Combine(folder, "broken.gguf");
        file.Write(path);

        var error = Assert.Throws<ModelFormatException>(() => LoraAdapter.Load(path, config));

        Assert.Equal(item, error.Item);
        Assert.Contains(messageMentions, error.Message);
        Assert.Contains("broken.gguf", error.Message);
    }

    [Fact]
    public void A_model_file_given_as_an_adapter_is_refused_as_not_an_adapter()
    {
        var path = Path.Combine(folder, "model.gguf");
        using (var checkpoint = SyntheticCheckpoint.Create(config)) GgufCheckpointWriter.Write(checkpoint, null, path);

        var error = Assert.Throws<ModelFormatException>(() => LoraAdapter.Load(path, config));

        Assert.Equal("general.type", error.Item);
    }

    private void Break(HandWrittenGgufLora file, string problem)
    {
        static float[] Filled(long count, float value) => Enumerable.Repeat(value, (int)count).ToArray();
        switch (problem)
        {
            case "wrong general.type": file.Set("general.type", GgufValue.String("model")); break;
            case "no general.type": file.Remove("general.type"); break;
            case "adapter.type ia3": file.Set("adapter.type", GgufValue.String("ia3")); break;
            case "architecture of another base": file.Set("general.architecture", GgufValue.String("qwen2")); break;
            case "lora_a for a wider base":
                Replace(file, "blk.0.attn_q.weight.lora_a", [64, 4], Filled(64 * 4, 0.1f));
                break;
            case "lora_b for a wider base":
                Replace(file, "blk.1.attn_v.weight.lora_b", [4, 32], Filled(4 * 32, 0.1f));
                break;
            case "layer the base does not have":
                var a = file.Tensor("blk.1.attn_q.weight.lora_a");
                var b = file.Tensor("blk.1.attn_q.weight.lora_b");
                file.Tensors.Add(a with { Name = "blk.9.attn_q.weight.lora_a" });
                file.Tensors.Add(b with { Name = "blk.9.attn_q.weight.lora_b" });
                break;
            case "missing lora_b": file.Tensors.Remove(file.Tensor("blk.1.attn_q.weight.lora_b")); break;
            case "extra norm tensor":
                file.Tensors.Add(new("blk.0.attn_norm.weight", [config.HiddenSize], GgufTensorType.F32, Filled(config.HiddenSize, 1f)));
                break;
            case "token embedding adapter":
                file.Tensors.Insert(0, new("token_embd.weight.lora_a", [4, config.VocabSize], GgufTensorType.F32, Filled(4 * config.VocabSize, 0.1f)));
                file.Tensors.Insert(1, new("token_embd.weight.lora_b", [config.HiddenSize, 4], GgufTensorType.F32, Filled(4 * config.HiddenSize, 0.1f)));
                break;
            case "NaN in lora_b": file.Tensor("blk.0.attn_v.weight.lora_b").Values[3] = float.NaN; break;
            case "infinity in lora_a": file.Tensor("blk.1.attn_q.weight.lora_a").Values[0] = float.PositiveInfinity; break;
            case "lora_a not transposed":
                // The old "finetune" example's layout: lora_a stored [r, in] in ggml order.
                var transposedA = file.Tensor("blk.0.attn_q.weight.lora_a");
                Replace(file, transposedA.Name, [4, config.HiddenSize], transposedA.Values);
                break;
            case "two ranks":
                var (inV, outV) = LoraTargets.Shape(config, "v_proj");
                Replace(file, "blk.1.attn_v.weight.lora_a", [inV, 8], Filled(inV * 8, 0.1f));
                Replace(file, "blk.1.attn_v.weight.lora_b", [8, outV], Filled(8 * outV, 0.1f));
                break;
            case "negative alpha": file.Set("adapter.lora.alpha", GgufValue.Float32(-8)); break;
            case "activated LoRA": file.Set("adapter.alora.invocation_tokens", GgufValue.Array(new uint[] { 5, 6 })); break;
            default: throw new ArgumentException(problem);
        }
    }

    private static (long First, long Second) DataOffsets(string path, string first, string second)
    {
        using var file = GgufFile.Open(path);
        return (file.GetTensor(first).Offset, file.GetTensor(second).Offset);
    }

    /// <summary>Rewrites a tensor's data offset in the table (name, n_dims, ne[…], type, then the u64 offset), in place.</summary>
    private static void SetDataOffset(string path, string tensorName, long offset)
    {
        var bytes = File.ReadAllBytes(path);
        var name = System.Text.Encoding.UTF8.GetBytes(tensorName);
        var entry = new byte[8 + name.Length];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(entry, (ulong)name.Length);
        name.CopyTo(entry, 8);
        var at = bytes.AsSpan().IndexOf(entry);
        Assert.True(at >= 0 && bytes.AsSpan(at + 1).IndexOf(entry) < 0, $"{tensorName} must be in the table once");
        var position = at + entry.Length;
        var dimensions = (int)System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(position));
        position += 4 + 8 * dimensions + 4;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(position), (ulong)offset);
        File.WriteAllBytes(path, bytes);
    }

    private static void Replace(HandWrittenGgufLora file, string name, long[] ggmlDimensions, float[] values)
    {
        var index = file.Tensors.FindIndex(entry => entry.Name == name);
        file.Tensors[index] = new(name, ggmlDimensions, GgufTensorType.F32, values);
    }

    /// <summary>Logits after the prompt, with <paramref name="adapter"/> applied unmerged (or none).</summary>
    private static float[] NextLogits(LlamaForCausalLM model, LoraAdapter? adapter)
    {
        IReadOnlyList<WeightedAdapter> row = adapter is null ? [] : [new(adapter)];
        using var batch = new AdapterBatch([row], ScalarType.Float32);
        using var cache = model.CreateCache();
        using var logits = model.Forward(LlamaForCausalLMTests.Ids(Prompt), [cache], adapters: batch);
        return LlamaForCausalLMTests.Row(logits, 0);
    }

    private static float MaxDifference(float[] left, float[] right) => left.Zip(right, (a, b) => Math.Abs(a - b)).Max();
}
