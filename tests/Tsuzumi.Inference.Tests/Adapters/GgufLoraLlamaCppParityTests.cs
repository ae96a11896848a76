using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Formats.HuggingFace;
using Tsuzumi.Inference.Tests.Model;
using Tsuzumi.Inference.Tests.Oracles;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Testing;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Adapters;

/// <summary>
/// llama.cpp (through LLamaSharp) loads a GGUF LoRA file itself and applies it; this runtime imports the same file and
/// serves it unmerged. Every step's logits are compared while both decode the same tokens (llama.cpp's greedy choice),
/// and the free-running greedy texts must be equal.
/// </summary>
public sealed class GgufLoraLlamaCppParityTests
{
    private const string Stories = "models/stories260K/stories260K.gguf";
    private const int Steps = 40;
    private const float Tolerance = 1e-3f;
    private static readonly string[] AllTargets = [.. LoraTargets.Layers, LoraTargets.Head];

    [Theory]
    [InlineData(1.0f)]
    [InlineData(0.5f)]
    public void Stories260K_with_an_exported_adapter_decodes_like_llama_cpp_with_the_file(float weight)
    {
        var modelPath = RepositoryPaths.RequireSharedFile(Stories);
        using var folder = new TemporaryFolder();
        using var checkpoint = GgufCheckpointReader.Read(modelPath);
        using var model = LlamaForCausalLM.Load(checkpoint, ScalarType.Float32);
        using (var trained = SyntheticAdapter.Create(model.Config, "stories", rank: 4, seed: 21, alpha: 8, targets: AllTargets))
            GgufLoraFormat.Save(trained, model.Config, folder.Combine("stories-lora.gguf"));
        using var imported = LoraAdapter.Load(folder.Combine("stories-lora.gguf"), model.Config);

        var report = Compare(modelPath, folder.Combine("stories-lora.gguf"), weight, model, imported);

        Assert.True(report.WorstDifference <= Tolerance, $"worst logit difference {report.WorstDifference} > {Tolerance}");
        Assert.Equal(report.LlamaCppTokens, report.OurGreedyTokens);
        Assert.True(report.AdapterEffect > 0.1f, $"the adapter moved llama.cpp's logits by only {report.AdapterEffect}: the test would be blind");
    }

    [Theory]
    [InlineData("written by hand from the spec")]
    [InlineData("exported by GgufLoraFormat")]
    public void A_hugging_face_layout_model_with_a_gguf_adapter_decodes_like_llama_cpp_on_the_converted_files(string source)
    {
        // Our model and adapter keep Hugging Face's half-split q/k rows; llama.cpp reads the GGUF model and adapter whose
        // q/k rows were permuted to adjacent pairs. A q/k lora_b permuted wrongly (or not undone) changes every attention score.
        var vocabulary = StoriesVocabulary();
        using var folder = new TemporaryFolder();
        var config = new LlamaConfig
        {
            VocabSize = vocabulary.Tokens.Length, HiddenSize = 64, IntermediateSize = 96, NumHiddenLayers = 2,
            NumAttentionHeads = 4, NumKeyValueHeads = 2, MaxPositionEmbeddings = 512, RopeTheta = 50_000, RopeLayout = RopeLayout.HalfSplit,
        };
        using var synthetic = SyntheticLlamaCppParityTests.WellConditioned(SyntheticCheckpoint.Create(config, seed: 13));
        var modelPath = folder.Combine("model.gguf");
        GgufCheckpointWriter.Write(synthetic, vocabulary, modelPath);
        using var model = LlamaForCausalLM.Load(synthetic, ScalarType.Float32);

        var adapterPath = folder.Combine("adapter.gguf");
        using (var trained = SyntheticAdapter.Create(config, "hf", rank: 8, seed: 4, alpha: 16, targets: AllTargets))
        {
            if (source.StartsWith("written", StringComparison.Ordinal)) HandWrittenGgufLora.From(trained, config).Write(adapterPath);
            else GgufLoraFormat.Save(trained, config, adapterPath);
        }
        using var imported = LoraAdapter.Load(adapterPath, config);

        var report = Compare(modelPath, adapterPath, 1f, model, imported);

        Assert.True(report.WorstDifference <= Tolerance, $"{source}: worst logit difference {report.WorstDifference} > {Tolerance}");
        Assert.Equal(report.LlamaCppTokens, report.OurGreedyTokens);
        Assert.True(report.AdapterEffect > 0.1f, $"the adapter moved llama.cpp's logits by only {report.AdapterEffect}");
    }

    private static GgufVocabulary StoriesVocabulary()
    {
        using var file = GgufFile.Open(RepositoryPaths.RequireSharedFile(Stories));
        return GgufCheckpointReader.ReadVocabulary(file)!;
    }

    /// <param name="AdapterEffect">Largest change the adapter makes to llama.cpp's first-step logits.</param>
    private sealed record Report(float WorstDifference, float AdapterEffect, int[] LlamaCppTokens, int[] OurGreedyTokens);

    private static Report Compare(string modelPath, string adapterPath, float weight, LlamaForCausalLM model, LoraAdapter adapter)
    {
        int[] prompt;
        float[] baseFirstLogits;
        using (var plain = new LlamaCppOracle(modelPath))
        {
            prompt = plain.Tokenize("Once upon a time there was", addBos: true);
            baseFirstLogits = plain.GreedyDecode(prompt, 1).Logits[0];
        }
        using var oracle = new LlamaCppOracle(modelPath, loraAdapters: [(adapterPath, weight)]);
        var (expectedTokens, expectedLogits) = oracle.GreedyDecode(prompt, Steps);

        using var batch = new AdapterBatch([[new WeightedAdapter(adapter, weight)]], ScalarType.Float32);
        var worst = 0f;
        using (var cache = model.CreateCache())
        {
            var input = prompt;
            for (var step = 0; step < Steps; step++)
            {
                var logits = NextLogits(model, cache, input, batch);
                worst = Math.Max(worst, logits.Zip(expectedLogits[step], (a, b) => Math.Abs(a - b)).Max());
                input = [expectedTokens[step]];
            }
        }
        var greedy = new List<int>();
        using (var cache = model.CreateCache())
        {
            var input = prompt;
            for (var step = 0; step < Steps; step++)
            {
                var next = Sampler.ArgMax(NextLogits(model, cache, input, batch));
                greedy.Add(next);
                input = [next];
            }
        }
        var effect = expectedLogits[0].Zip(baseFirstLogits, (a, b) => Math.Abs(a - b)).Max();
        TestContext.Current.TestOutputHelper?.WriteLine($"worst |Δlogit| vs llama.cpp {worst:G3}; the adapter moves llama.cpp's logits by up to {effect:G3}");
        return new Report(worst, effect, expectedTokens, greedy.ToArray());
    }

    private static float[] NextLogits(LlamaForCausalLM model, KvCache cache, int[] input, AdapterBatch batch)
    {
        using var scope = NewDisposeScope();
        return model.Forward(tensor(input.Select(id => (long)id).ToArray(), new long[] { 1, input.Length }), [cache], adapters: batch)
            .reshape(-1).data<float>().ToArray();
    }
}
