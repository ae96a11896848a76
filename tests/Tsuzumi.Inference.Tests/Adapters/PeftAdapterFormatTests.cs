using System.Text;
using System.Text.Json;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Model;

namespace Tsuzumi.Inference.Tests.Adapters;

public sealed class PeftAdapterFormatTests : IDisposable
{
    private readonly LlamaConfig config = SyntheticCheckpoint.SmallConfig();
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-peft-").FullName;

    [Fact]
    public void A_file_written_by_hand_in_peft_layout_loads_with_the_right_matrices()
    {
        // Built from PEFT's documented layout, byte by byte: not by this project's writer.
        const int rank = 2;
        var (inFeatures, outFeatures) = LoraTargets.Shape(config, "q_proj");
        var tensors = new List<(string Name, long[] Shape, float[] Values)>();
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            var a = Enumerable.Range(0, rank * (int)inFeatures).Select(i => (i % 7 - 3) / 10f + layer).ToArray();
            var b = Enumerable.Range(0, (int)outFeatures * rank).Select(i => (i % 5 - 2) / 20f).ToArray();
            tensors.Add(($"base_model.model.model.layers.{layer}.self_attn.q_proj.lora_A.weight", [rank, inFeatures], a));
            tensors.Add(($"base_model.model.model.layers.{layer}.self_attn.q_proj.lora_B.weight", [outFeatures, rank], b));
        }
        WriteSafetensorsByHand(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"),
            """{"peft_type": "LORA", "r": 2, "lora_alpha": 16, "target_modules": ["q_proj"], "use_rslora": false, "base_model_name_or_path": "synthetic", "task_type": "CAUSAL_LM"}""");

        using var adapter = PeftAdapterFormat.Load(folder, config, "hand");

        Assert.Equal(8.0, adapter.Scale);
        Assert.Equal(config.NumHiddenLayers, adapter.Pairs.Count);
        var pair = adapter.Pairs["model.layers.1.self_attn.q_proj"];
        Assert.Equal(tensors[2].Values, pair.A.data<float>().ToArray());
        Assert.Equal(tensors[3].Values, pair.B.data<float>().ToArray());
        Assert.Equal([rank, inFeatures], pair.A.shape);
    }

    [Fact]
    public void Saved_adapters_load_back_identically_with_the_same_version()
    {
        using var original = SyntheticAdapter.Create(config, "finance", rank: 4, seed: 3, targets: ["q_proj", "v_proj", "down_proj"]);
        PeftAdapterFormat.Save(original, folder);

        using var first = PeftAdapterFormat.Load(folder, config);
        using var second = PeftAdapterFormat.Load(folder, config);
        Assert.Equal(first.Version, second.Version);
        foreach (var (modulePath, pair) in original.Pairs)
        {
            Assert.Equal(pair.A.data<float>().ToArray(), first.Pairs[modulePath].A.data<float>().ToArray());
            Assert.Equal(pair.B.data<float>().ToArray(), first.Pairs[modulePath].B.data<float>().ToArray());
        }
        var json = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder, "adapter_config.json"))).RootElement;
        Assert.Equal("LORA", json.GetProperty("peft_type").GetString());
        Assert.Equal(4, json.GetProperty("r").GetInt32());
    }

    [Fact]
    public void Saving_over_an_adapter_leaves_no_temporary_folders()
    {
        using var adapter = SyntheticAdapter.Create(config, "a", targets: ["q_proj"]);
        PeftAdapterFormat.Save(adapter, Path.Combine(folder, "out"));
        PeftAdapterFormat.Save(adapter, Path.Combine(folder, "out"));

        Assert.Equal(["out"], Directory.GetDirectories(folder).Select(Path.GetFileName));
    }

    [Fact]
    public void An_adapter_for_another_base_is_rejected_naming_the_tensor_and_shapes()
    {
        using var adapter = SyntheticAdapter.Create(config with { HiddenSize = 64, NumAttentionHeads = 8, NumKeyValueHeads = 4 }, "other", targets: ["q_proj"]);
        PeftAdapterFormat.Save(adapter, folder);

        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Contains("lora_", error.Item);
        Assert.Contains("another base", error.Message);
    }

    [Theory]
    [InlineData("""{"r": 0, "lora_alpha": 8, "target_modules": ["q_proj"]}""", "r")]
    [InlineData("""{"r": 4, "lora_alpha": 8, "target_modules": ["q_proj", "attention.wq"]}""", "target_modules")]
    [InlineData("""{"r": 4, "lora_alpha": 8, "target_modules": []}""", "target_modules")]
    [InlineData("""{"r": 4, "target_modules": ["q_proj"]}""", "lora_alpha")]
    [InlineData("""{"peft_type": "IA3", "r": 4, "lora_alpha": 8, "target_modules": ["q_proj"]}""", "peft_type")]
    [InlineData("""{"r": "four", "lora_alpha": 8, "target_modules": ["q_proj"]}""", null)]
    [InlineData("""not json""", null)]
    public void Bad_adapter_configs_are_rejected_with_the_key(string json, string? key)
    {
        using var adapter = SyntheticAdapter.Create(config, "a", targets: ["q_proj"]);
        PeftAdapterFormat.Save(adapter, folder);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), json);

        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Equal(key, error.Item);
    }

    [Fact]
    public void A_missing_lora_B_is_named()
    {
        var tensors = HandTensors("q_proj", 2).Where(tensor => tensor.Name != "base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight").ToList();
        WriteAdapter(tensors, """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");

        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Equal("base_model.model.model.layers.1.self_attn.q_proj.lora_B.weight", error.Item);
    }

    [Fact]
    public void An_extra_tensor_is_named()
    {
        var tensors = HandTensors("q_proj", 2);
        tensors.Add(("base_model.model.model.layers.0.self_attn.q_proj.magnitude", [4], new float[4]));
        WriteAdapter(tensors, """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");

        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Equal("base_model.model.model.layers.0.self_attn.q_proj.magnitude", error.Item);
    }

    [Fact]
    public void A_layer_the_base_does_not_have_is_named()
    {
        var tensors = HandTensors("q_proj", 2);
        var (inFeatures, _) = LoraTargets.Shape(config, "q_proj");
        tensors.Add(("base_model.model.model.layers.9.self_attn.q_proj.lora_A.weight", [2, inFeatures], new float[2 * inFeatures]));
        WriteAdapter(tensors, """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");

        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Contains("layer 9", error.Message);
    }

    [Theory]
    [InlineData(float.NaN)]
    [InlineData(float.PositiveInfinity)]
    public void Non_finite_weights_are_rejected_naming_the_tensor(float poison)
    {
        var tensors = HandTensors("q_proj", 2);
        tensors[1].Values[3] = poison;
        WriteAdapter(tensors, """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");

        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Equal(tensors[1].Name, error.Item);
        Assert.Contains("NaN", error.Message);
    }

    [Fact]
    public void A_bf16_stored_adapter_loads_as_fp32_with_the_exact_values()
    {
        // Values exactly representable in bfloat16 (8 significant bits), so widening must give them back bit for bit.
        var tensors = HandTensors("q_proj", 2);
        foreach (var (_, _, values) in tensors)
            for (var i = 0; i < values.Length; i++) values[i] = (i % 13 - 6) * (1 << (i % 5 * 3)) / 8f;
        WriteSafetensorsByHand(Path.Combine(folder, "adapter_model.safetensors"), tensors, bf16: true);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");

        using var adapter = PeftAdapterFormat.Load(folder, config);

        var pair = adapter.Pairs["model.layers.1.self_attn.q_proj"];
        Assert.Equal(TorchSharp.torch.ScalarType.Float32, pair.A.dtype);
        Assert.Equal(tensors[2].Values, pair.A.data<float>().ToArray());
        Assert.Equal(tensors[3].Values, pair.B.data<float>().ToArray());
        Assert.Equal(PeftAdapterFormat.ContentVersion(Path.Combine(folder, "adapter_config.json"), Path.Combine(folder, "adapter_model.safetensors")), adapter.Version);
    }

    [Fact]
    public void A_non_finite_bf16_weight_is_rejected_naming_the_tensor()
    {
        var tensors = HandTensors("q_proj", 2);
        tensors[2].Values[^1] = float.NegativeInfinity;
        WriteSafetensorsByHand(Path.Combine(folder, "adapter_model.safetensors"), tensors, bf16: true);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");

        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Equal(tensors[2].Name, error.Item);
    }

    [Fact]
    public void The_loaded_version_is_the_content_hash_of_both_files()
    {
        using var original = SyntheticAdapter.Create(config, "v", rank: 4, seed: 5, targets: ["q_proj", "down_proj"]);
        PeftAdapterFormat.Save(original, folder);

        using var loaded = PeftAdapterFormat.Load(folder, config);

        Assert.Equal(PeftAdapterFormat.ContentVersion(Path.Combine(folder, "adapter_config.json"), Path.Combine(folder, "adapter_model.safetensors")), loaded.Version);
    }

    [Fact]
    public void A_missing_folder_or_file_is_a_clear_error()
    {
        Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(Path.Combine(folder, "nope"), config));
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), """{"r": 2, "lora_alpha": 4, "target_modules": ["q_proj"]}""");
        var error = Assert.Throws<ModelFormatException>(() => PeftAdapterFormat.Load(folder, config));
        Assert.Equal("adapter_model.safetensors", error.Item);
    }

    private List<(string Name, long[] Shape, float[] Values)> HandTensors(string target, int rank)
    {
        var (inFeatures, outFeatures) = LoraTargets.Shape(config, target);
        var list = new List<(string, long[], float[])>();
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            list.Add(($"base_model.model.{LoraTargets.ModulePath(layer, target)}.lora_A.weight", [rank, inFeatures], new float[rank * inFeatures]));
            list.Add(($"base_model.model.{LoraTargets.ModulePath(layer, target)}.lora_B.weight", [outFeatures, rank], new float[outFeatures * rank]));
        }
        return list;
    }

    private void WriteAdapter(List<(string Name, long[] Shape, float[] Values)> tensors, string configJson)
    {
        WriteSafetensorsByHand(Path.Combine(folder, "adapter_model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(folder, "adapter_config.json"), configJson);
    }

    /// <summary>safetensors per its spec: u64 header length, JSON header, little-endian F32 data.</summary>
    private static void WriteSafetensorsByHand(string path, IEnumerable<(string Name, long[] Shape, float[] Values)> tensors, bool bf16 = false)
    {
        var header = new StringBuilder("{");
        var data = new MemoryStream();
        foreach (var (name, shape, values) in tensors)
        {
            var begin = data.Length;
            foreach (var value in values)
            {
                if (bf16) data.Write(BitConverter.GetBytes((ushort)(BitConverter.SingleToUInt32Bits(value) >> 16))); // truncation: exact for these values
                else data.Write(BitConverter.GetBytes(value));
            }
            header.Append($"\"{name}\":{{\"dtype\":\"{(bf16 ? "BF16" : "F32")}\",\"shape\":[{string.Join(",", shape)}],\"data_offsets\":[{begin},{data.Length}]}},");
        }
        header.Length--;
        header.Append('}');
        var headerBytes = Encoding.UTF8.GetBytes(header.ToString());
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((ulong)headerBytes.Length));
        file.Write(headerBytes);
        data.Position = 0;
        data.CopyTo(file);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
