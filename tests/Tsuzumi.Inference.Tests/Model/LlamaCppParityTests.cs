using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Oracles;
using Tsuzumi.Testing;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Model;

/// <summary>stories260K, a real pretrained model, decoded by this runtime and by llama.cpp: same tokens, same logits.</summary>
public sealed class LlamaCppParityTests
{
    private const string Stories = "models/stories260K/stories260K.gguf";

    public static TheoryData<string> Prompts => new()
    {
        "",
        "Once upon a time",
        "Lily and Tom went to the park. They saw a big",
        "The little dog was sad because",
    };

    [Theory]
    [MemberData(nameof(Prompts))]
    public void Greedy_decoding_matches_llama_cpp_token_for_token_with_logits_within_1e3(string prompt)
    {
        var path = RepositoryPaths.RequireSharedFile(Stories);
        using var oracle = new LlamaCppOracle(path);
        var promptTokens = oracle.Tokenize(prompt, addBos: true);
        const int steps = 200;
        var (expectedTokens, expectedLogits) = oracle.GreedyDecode(promptTokens, steps);

        using var checkpoint = GgufCheckpointReader.Read(path);
        using var model = LlamaForCausalLM.Load(checkpoint, ScalarType.Float32);
        using var cache = model.CreateCache();
        var input = promptTokens.ToList();
        var worstDifference = 0f;
        for (var step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var logits = model.Forward(tensor(input.Select(id => (long)id).ToArray(), new long[] { 1, input.Count }), [cache])
                .reshape(-1).data<float>().ToArray();
            var stepDifference = logits.Zip(expectedLogits[step], (a, b) => Math.Abs(a - b)).Max();
            worstDifference = Math.Max(worstDifference, stepDifference);
            var next = Sampler.ArgMax(logits);
            Assert.True(expectedTokens[step] == next,
                $"step {step}: llama.cpp chose {expectedTokens[step]}, we chose {next} (worst logit difference so far {worstDifference})");
            input = [next];
        }
        Assert.InRange(worstDifference, 0f, 1e-3f);
    }
}
