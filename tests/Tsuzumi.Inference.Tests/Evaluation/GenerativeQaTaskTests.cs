using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Evaluation;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Adapters;
using Tsuzumi.Inference.Tests.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Evaluation;

public sealed class GenerativeQaTaskTests : IDisposable
{
    private readonly LlamaForCausalLM model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);
    private readonly ToyTokenizer tokenizer = new();

    public void Dispose() => model.Dispose();

    private int[] Greedy(AdapterBatch? adapters) =>
        new TextGenerator(model, tokenizer, adapters)
            .Generate(new GenerationRequest(tokenizer.Encode("abc"), 12, SamplingOptions.Greedy) { StopAtEndOfGeneration = false }, TestContext.Current.CancellationToken)
            .Tokens.Select(token => token.Id).ToArray();

    [Fact]
    public void Generating_with_an_unmerged_adapter_follows_the_same_tokens_as_the_adapter_merged()
    {
        using var adapter = SyntheticAdapter.Create(model.Config, "style", seed: 5, alpha: 16);
        var baseline = Greedy(null);
        using var batch = new AdapterBatch([[new WeightedAdapter(adapter)]], model.DType);

        var unmerged = Greedy(batch);
        LoraMerge.Merge(model, adapter);
        var merged = Greedy(null);

        Assert.Equal(merged, unmerged);
        Assert.NotEqual(baseline, unmerged);
    }

    [Fact]
    public void A_single_stream_refuses_adapters_for_several_rows()
    {
        using var adapter = SyntheticAdapter.Create(model.Config, "style");
        using var batch = new AdapterBatch([[new WeightedAdapter(adapter)], []], model.DType);

        Assert.Throws<ArgumentException>(() => Greedy(batch));
    }

    [Fact]
    public void The_task_scores_the_greedy_answer_of_the_subject_with_its_adapters()
    {
        using var adapter = SyntheticAdapter.Create(model.Config, "style", seed: 5, alpha: 16);
        using var batch = new AdapterBatch([[new WeightedAdapter(adapter)]], model.DType);
        var answer = new TextGenerator(model, tokenizer, batch)
            .Generate(new GenerationRequest(tokenizer.Encode("abc"), 6, SamplingOptions.Greedy), TestContext.Current.CancellationToken).Text;
        Assert.False(string.IsNullOrEmpty(answer));
        var fact = answer.Length > 2 ? answer[1..^1] : answer;
        var task = new GenerativeQaTask("toy", [new KeyFactQuestion("1", "abc", [fact.ToUpperInvariant()]), new KeyFactQuestion("2", "abc", [fact, "zzzzzzzz"])]);

        var result = (GenerativeQaResult)task.Run(new EvaluationSubject(model, tokenizer, null, [new WeightedAdapter(adapter)]),
            new EvaluationOptions { MaxNewTokens = 6 }, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal(answer, result.Outcomes[0].Answer);
        Assert.True(result.Outcomes[0].IsHit);
        Assert.Equal([true, false], result.Outcomes[1].FactsFound);
        Assert.Equal(0.5, result.Metric("hit").Value);
    }
}
