using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Formats.HuggingFace;
using Tsuzumi.Inference.Tests.Oracles;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Testing;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Model;

/// <summary>
/// Random-weight models for every architecture variant stories260K does not exercise, written as GGUF by this project
/// and decoded by llama.cpp (the oracle) and by this runtime. llama.cpp greedily decodes; this runtime is fed the same
/// tokens (teacher forcing) so every step's logits can be compared, and its argmax must equal llama.cpp's choice.
/// </summary>
public sealed class SyntheticLlamaCppParityTests(SyntheticLlamaCppParityTests.Vocabulary vocabulary)
    : IClassFixture<SyntheticLlamaCppParityTests.Vocabulary>
{
    private const int Steps = 50;

    /// <summary>stories260K's vocabulary: llama.cpp refuses a GGUF without <c>tokenizer.ggml.*</c>, so the models borrow it.</summary>
    public sealed class Vocabulary
    {
        public GgufVocabulary? Value { get; } = Load();

        private static GgufVocabulary? Load()
        {
            var path = Path.Combine(RepositoryPaths.SharedDirectory, "models/stories260K/stories260K.gguf");
            if (!File.Exists(path)) return null;
            using var file = GgufFile.Open(path);
            return GgufCheckpointReader.ReadVocabulary(file);
        }
    }

    /// <param name="Tolerance">Largest |logit difference| accepted at any step.</param>
    private sealed record Case(LlamaConfig Config, GgufTensorType StorageType, ScalarType ComputeType, float Tolerance);

    private const float Exact = 1e-3f;

    /// <summary>About 4 % of the logits' spread (≈ 6) in these models; measured differences are ≈ 0.13.</summary>
    private const float QuantisedTolerance = 0.25f;

    private static LlamaConfig Llama(int heads, int kvHeads, bool tied = false, int hidden = 64, int intermediate = 96) => new()
    {
        VocabSize = 512,
        HiddenSize = hidden,
        IntermediateSize = intermediate,
        NumHiddenLayers = 2,
        NumAttentionHeads = heads,
        NumKeyValueHeads = kvHeads,
        MaxPositionEmbeddings = 512,
        TieWordEmbeddings = tied,
        RopeLayout = RopeLayout.HalfSplit,
    };

    // Quantised and half-precision tolerances: llama.cpp's CPU matmul converts the *activations* to the weight type's
    // partner (F16 → F16, BF16 → BF16, Q8_0/Q4_0 → Q8_0 blocks, Q4_K/Q6_K → Q8_K blocks) before the dot product,
    // while this runtime multiplies dequantised weights by fp32 activations. Both compute the same model; the
    // activation rounding alone moves logits by up to ~1 % of their spread, so those cases get a looser bound.
    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["mha (gqa 1), untied head"] = new(Llama(4, 4), GgufTensorType.F32, ScalarType.Float32, Exact),
        ["gqa 2, untied head"] = new(Llama(4, 2), GgufTensorType.F32, ScalarType.Float32, Exact),
        ["gqa 4, tied head"] = new(Llama(8, 2, tied: true), GgufTensorType.F32, ScalarType.Float32, Exact),
        ["mqa (one kv head), tied head"] = new(Llama(4, 1, tied: true), GgufTensorType.F32, ScalarType.Float32, Exact),
        ["qwen2 with q/k/v bias"] = new(Llama(4, 2, tied: true) with { ModelType = "qwen2", AttentionBias = true, RopeTheta = 1_000_000, RmsNormEps = 1e-6 },
            GgufTensorType.F32, ScalarType.Float32, Exact),
        ["rope scaling linear ×4"] = new(Llama(4, 2) with { RopeScaling = new RopeScaling("linear", 4.0) }, GgufTensorType.F32, ScalarType.Float32, Exact),
        ["rope theta 500000"] = new(Llama(4, 2) with { RopeTheta = 500_000 }, GgufTensorType.F32, ScalarType.Float32, Exact),
        ["explicit head_dim 32 ≠ hidden/heads"] = new(Llama(4, 2) with { HeadDim = 32 }, GgufTensorType.F32, ScalarType.Float32, Exact),
        ["F16 weights"] = new(Llama(4, 2), GgufTensorType.F16, ScalarType.Float32, 2e-2f),
        ["Q8_0 weights"] = new(Llama(4, 2), GgufTensorType.Q8_0, ScalarType.Float32, QuantisedTolerance),
        ["Q4_0 weights"] = new(Llama(4, 2), GgufTensorType.Q4_0, ScalarType.Float32, QuantisedTolerance),
        ["Q4_K weights"] = new(Llama(4, 2, hidden: 256, intermediate: 256), GgufTensorType.Q4_K, ScalarType.Float32, QuantisedTolerance),
        ["Q6_K weights"] = new(Llama(4, 2, hidden: 256, intermediate: 256), GgufTensorType.Q6_K, ScalarType.Float32, QuantisedTolerance),
        // bf16 compute here (8-bit mantissa activations, bf16 KV cache) against llama.cpp's BF16 matmuls.
        ["BF16 weights, bf16 runtime"] = new(Llama(4, 2), GgufTensorType.BF16, ScalarType.BFloat16, 1.5e-1f),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void A_synthetic_gguf_decodes_like_llama_cpp(string caseName)
    {
        var vocabularyValue = RequireVocabulary();
        var (config, storageType, computeType, tolerance) = Cases[caseName];
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "model.gguf");
        using (var checkpoint = WellConditioned(SyntheticCheckpoint.Create(config, seed: 7)))
            GgufCheckpointWriter.Write(checkpoint, vocabularyValue, path, storageType);

        using var loaded = PretrainedModel.Load(path, computeType);
        var report = CompareWithLlamaCpp(path, loaded.Model, tolerance);

        Assert.True(report.WorstDifference <= tolerance, $"{caseName}: worst logit difference {report.WorstDifference} > {tolerance}");
        Assert.True(report.Disagreements.Count == 0, $"{caseName}: argmax differs where llama.cpp's margin was clear: {string.Join("; ", report.Disagreements)}");
        if (tolerance == Exact) Assert.Equal(report.LlamaCppTokens, report.OurGreedyTokens);
    }

    [Theory]
    // Q8_0 weights are rounded as finely as llama.cpp rounds the activations (8 bits per 32), so the two effects are of
    // one size there (measured ratio 0.68); for 4- and 6-bit weights the weight rounding dominates (ratios ≈ 0.1–0.4).
    [InlineData(GgufTensorType.Q8_0, 64, 0.85)]
    [InlineData(GgufTensorType.Q4_0, 64, 0.5)]
    [InlineData(GgufTensorType.Q4_K, 256, 0.5)]
    [InlineData(GgufTensorType.Q6_K, 256, 0.5)]
    public void Our_dequantised_weights_explain_llama_cpp_better_than_the_unquantised_ones(GgufTensorType type, int hidden, double maximumRatio)
    {
        // A loose tolerance alone could hide a slightly wrong dequantiser. This one cannot: llama.cpp on the quantised
        // file must be much closer to us running the dequantised weights than to us running the original fp32 weights
        // (what a dequantiser that ignored the quantisation would produce).
        var vocabularyValue = RequireVocabulary();
        var config = Llama(4, 2, hidden: hidden, intermediate: hidden);
        using var folder = new TemporaryFolder();
        var path = Path.Combine(folder.Path, "model.gguf");
        using var original = WellConditioned(SyntheticCheckpoint.Create(config, seed: 3));
        GgufCheckpointWriter.Write(original, vocabularyValue, path, type);
        using var dequantised = PretrainedModel.Load(path, ScalarType.Float32);
        using var unquantised = LlamaForCausalLM.Load(original, ScalarType.Float32);

        var ours = CompareWithLlamaCpp(path, dequantised.Model, QuantisedTolerance);
        var ignoringQuantisation = CompareWithLlamaCpp(path, unquantised, float.PositiveInfinity);

        Assert.True(ours.MeanDifference < maximumRatio * ignoringQuantisation.MeanDifference,
            $"{type}: mean |Δlogit| {ours.MeanDifference} with our dequantised weights vs {ignoringQuantisation.MeanDifference} with the unquantised ones");
    }

    [Fact]
    public void A_hugging_face_half_split_model_converted_to_gguf_decodes_like_llama_cpp()
    {
        // Proves the q/k permutation: our runtime reads the HF folder in half-split RoPE layout, llama.cpp reads the GGUF
        // the writer permuted to adjacent pairs. A wrong permutation changes every attention score.
        var vocabularyValue = RequireVocabulary();
        using var folder = new TemporaryFolder();
        var huggingFaceFolder = Path.Combine(folder.Path, "hf");
        var ggufPath = Path.Combine(folder.Path, "converted.gguf");
        var config = Llama(4, 2) with { RopeTheta = 50_000 };
        using (var synthetic = SyntheticCheckpoint.Create(config, seed: 11))
            HuggingFaceCheckpointWriter.Write(synthetic, huggingFaceFolder);
        using (var fromFolder = HuggingFaceCheckpointReader.Read(huggingFaceFolder))
        {
            Assert.Equal(RopeLayout.HalfSplit, fromFolder.Config.RopeLayout);
            GgufCheckpointWriter.Write(fromFolder, vocabularyValue, ggufPath);
        }

        using var checkpoint = HuggingFaceCheckpointReader.Read(huggingFaceFolder);
        using var model = LlamaForCausalLM.Load(checkpoint, ScalarType.Float32);
        var report = CompareWithLlamaCpp(ggufPath, model, Exact);

        Assert.InRange(report.WorstDifference, 0f, Exact);
        Assert.Equal(report.LlamaCppTokens, report.OurGreedyTokens);
    }

    [Fact]
    public void Skipping_the_permutation_would_be_caught()
    {
        // The same comparison must fail when the GGUF keeps half-split rows under the llama architecture: otherwise the
        // test above could pass whatever the writer did (e.g. if RoPE had no effect on these weights).
        var vocabularyValue = RequireVocabulary();
        using var folder = new TemporaryFolder();
        var ggufPath = Path.Combine(folder.Path, "unpermuted.gguf");
        var config = Llama(4, 2) with { RopeTheta = 50_000 };
        using var synthetic = SyntheticCheckpoint.Create(config, seed: 11);
        {
            // Claiming adjacent pairs stops the writer from permuting: the file then holds half-split rows.
            var mislabelled = synthetic with { Config = config with { RopeLayout = RopeLayout.AdjacentPairs } };
            GgufCheckpointWriter.Write(mislabelled, vocabularyValue, ggufPath);
        }

        using var model = LlamaForCausalLM.Load(synthetic, ScalarType.Float32);
        var report = CompareWithLlamaCpp(ggufPath, model, Exact);

        Assert.True(report.WorstDifference > 1e-2f, $"unpermuted rows gave logits within {report.WorstDifference}: the parity test is blind to RoPE layout");
    }

    /// <summary>
    /// Rescales every projection to unit gain (std 1/√fan-in, as trained models roughly are). SyntheticCheckpoint's
    /// N(0, 0.2²) weights amplify each layer by 0.2·√fan-in, which turns llama.cpp's activation rounding in the
    /// quantised cases into chaos that would hide a real mismatch; the fp32 cases are exact either way.
    /// </summary>
    internal static Checkpoint WellConditioned(Checkpoint checkpoint)
    {
        var tensors = checkpoint.Tensors.ToDictionary(entry => entry.Key, entry =>
        {
            var tensor = entry.Value;
            if (tensor.Shape.Length != 2 || entry.Key == "model.embed_tokens.weight") return tensor;
            var scale = (float)(1.0 / (0.2 * Math.Sqrt(tensor.Shape[1])));
            return tensor with { ReadFloat32 = () => tensor.ReadFloat32().Select(value => value * scale).ToArray() };
        });
        return checkpoint with { Tensors = tensors };
    }

    private GgufVocabulary RequireVocabulary()
    {
        RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
        return vocabulary.Value!;
    }

    private sealed record ParityReport(float WorstDifference, double MeanDifference, List<string> Disagreements, int[] LlamaCppTokens, int[] OurGreedyTokens);

    /// <summary>
    /// llama.cpp decodes greedily; we replay its tokens and compare every step's logits. Our argmax must match its
    /// choice wherever its top-two margin exceeds twice the tolerance (closer calls may legitimately flip under
    /// activation rounding). Separately our own free-running greedy sequence is returned for exact comparison.
    /// </summary>
    private static ParityReport CompareWithLlamaCpp(string ggufPath, LlamaForCausalLM model, float tolerance)
    {
        using var oracle = new LlamaCppOracle(ggufPath);
        var prompt = oracle.Tokenize("Once upon a time there was", addBos: true);
        var (expectedTokens, expectedLogits) = oracle.GreedyDecode(prompt, Steps);

        var worst = 0f;
        double sum = 0;
        var disagreements = new List<string>();
        using (var cache = model.CreateCache())
        {
            var input = prompt.ToArray();
            for (var step = 0; step < Steps; step++)
            {
                var logits = NextLogits(model, cache, input);
                var differences = logits.Zip(expectedLogits[step], (a, b) => Math.Abs(a - b)).ToArray();
                worst = Math.Max(worst, differences.Max());
                sum += differences.Average();
                var ours = Sampler.ArgMax(logits);
                if (ours != expectedTokens[step] && Margin(expectedLogits[step]) > 2 * tolerance)
                    disagreements.Add($"step {step}: llama.cpp {expectedTokens[step]}, ours {ours}");
                input = [expectedTokens[step]];
            }
        }

        var greedy = new List<int>();
        using (var cache = model.CreateCache())
        {
            var input = prompt.ToArray();
            for (var step = 0; step < Steps; step++)
            {
                var next = Sampler.ArgMax(NextLogits(model, cache, input));
                greedy.Add(next);
                input = [next];
            }
        }
        return new ParityReport(worst, sum / Steps, disagreements, expectedTokens, greedy.ToArray());
    }

    private static float[] NextLogits(LlamaForCausalLM model, KvCache cache, int[] input)
    {
        using var scope = NewDisposeScope();
        return model.Forward(tensor(input.Select(id => (long)id).ToArray(), new long[] { 1, input.Length }), [cache])
            .reshape(-1).data<float>().ToArray();
    }

    /// <summary>Top-1 minus top-2 logit.</summary>
    private static float Margin(float[] logits)
    {
        var sorted = logits.OrderDescending().Take(2).ToArray();
        return sorted[0] - sorted[1];
    }
}
