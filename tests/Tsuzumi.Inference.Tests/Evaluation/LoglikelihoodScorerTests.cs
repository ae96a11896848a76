using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Evaluation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tests.Adapters;
using Tsuzumi.Inference.Tests.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Evaluation;

public sealed class LoglikelihoodScorerTests : IDisposable
{
    private readonly LlamaForCausalLM model = LlamaForCausalLM.Load(SyntheticCheckpoint.Create(SyntheticCheckpoint.SmallConfig()), ScalarType.Float32);

    public void Dispose() => model.Dispose();

    /// <summary>The expected value computed independently: one batch-1 forward, log-softmax by hand in double precision.</summary>
    private static (double Sum, bool Greedy) HandScored(LlamaForCausalLM model, int[] context, int[] continuation)
    {
        var whole = context.Concat(continuation).ToArray();
        var window = model.Config.MaxPositionEmbeddings;
        var kept = whole[^Math.Min(whole.Length, window + 1)..];
        var input = kept[..^1];
        using var cache = model.CreateCache();
        using var logits = model.Forward(tensor(input.Select(id => (long)id).ToArray(), new long[] { 1, input.Length }), [cache], lastOnly: false);
        var values = logits.data<float>().ToArray();
        var vocab = model.Config.VocabSize;
        double sum = 0;
        var greedy = true;
        for (var k = 0; k < continuation.Length; k++)
        {
            var position = input.Length - continuation.Length + k;
            var row = values.AsSpan(position * vocab, vocab);
            double max = double.NegativeInfinity;
            var argMax = 0;
            for (var id = 0; id < vocab; id++)
            {
                if (row[id] > max) { max = row[id]; argMax = id; }
            }
            double total = 0;
            for (var id = 0; id < vocab; id++) total += Math.Exp(row[id] - max);
            sum += row[continuation[k]] - max - Math.Log(total);
            greedy &= argMax == continuation[k];
        }
        return (sum, greedy);
    }

    private static readonly EncodedPair[] Pairs =
    [
        new([1, 5, 6, 7], [8]),
        new([1, 9], [10, 11, 12, 13]),
        new([1, 20, 21, 22, 23, 24, 25], [26, 27]),
        new([3], [4, 5, 6]),
        new([1, 30, 31], [32, 33, 34, 35, 36]),
    ];

    [Fact]
    public void Each_score_is_the_hand_summed_log_softmax_of_the_continuation_tokens_even_when_padded_in_a_batch()
    {
        var scorer = new LoglikelihoodScorer(model, new ToyTokenizer(), new ScoringOptions { BatchSize = 3 });

        var scores = scorer.ScoreTokens(Pairs, TestContext.Current.CancellationToken);

        for (var i = 0; i < Pairs.Length; i++)
        {
            var (sum, greedy) = HandScored(model, Pairs[i].Context.ToArray(), Pairs[i].Continuation.ToArray());
            Assert.Equal(sum, scores[i].LogProbability, 1e-4);
            Assert.Equal(greedy, scores[i].IsGreedy);
            Assert.Equal(Pairs[i].Continuation.Count, scores[i].TokenCount);
            Assert.True(scores[i].LogProbability < 0);
        }
    }

    [Fact]
    public void Batch_size_does_not_change_the_scores()
    {
        var one = new LoglikelihoodScorer(model, new ToyTokenizer(), new ScoringOptions { BatchSize = 1 }).ScoreTokens(Pairs, TestContext.Current.CancellationToken);
        var all = new LoglikelihoodScorer(model, new ToyTokenizer(), new ScoringOptions { BatchSize = 16 }).ScoreTokens(Pairs, TestContext.Current.CancellationToken);

        for (var i = 0; i < Pairs.Length; i++) Assert.Equal(one[i].LogProbability, all[i].LogProbability, 1e-4);
    }

    [Fact]
    public void Is_greedy_is_true_when_the_continuation_is_what_greedy_decoding_produces()
    {
        // Build the continuation from the model's own argmax, so is_greedy must come out true.
        int[] context = [1, 40, 41];
        var continuation = new List<int>();
        for (var step = 0; step < 3; step++)
        {
            using var cache = model.CreateCache();
            var input = context.Concat(continuation).Select(id => (long)id).ToArray();
            using var logits = model.Forward(tensor(input, new long[] { 1, input.Length }), [cache]);
            continuation.Add((int)logits.argmax().item<long>());
        }
        var scorer = new LoglikelihoodScorer(model, new ToyTokenizer());

        var scores = scorer.ScoreTokens([new(context, continuation), new(context, [.. continuation[..2], (continuation[2] + 1) % 97])], TestContext.Current.CancellationToken);

        Assert.True(scores[0].IsGreedy);
        Assert.False(scores[1].IsGreedy);
    }

    [Fact]
    public void Sequences_longer_than_the_window_are_cut_on_the_left_like_the_harness()
    {
        var window = model.Config.MaxPositionEmbeddings; // 128
        var context = Enumerable.Range(0, window + 40).Select(i => 3 + i % 90).ToArray();
        int[] continuation = [50, 51, 52];
        var scorer = new LoglikelihoodScorer(model, new ToyTokenizer());

        var score = scorer.ScoreTokens([new(context, continuation)], TestContext.Current.CancellationToken)[0];

        Assert.Equal(HandScored(model, context, continuation).Sum, score.LogProbability, 1e-4);
    }

    [Fact]
    public void An_empty_continuation_scores_log_one_and_counts_as_greedy()
    {
        var score = new LoglikelihoodScorer(model, new ToyTokenizer()).ScoreTokens([new([1, 2, 3], [])], TestContext.Current.CancellationToken)[0];

        Assert.Equal(new Loglikelihood(0, true, 0), score);
    }

    [Fact]
    public void Text_requests_score_the_harness_split()
    {
        var tokenizer = new ToyTokenizer();
        var scorer = new LoglikelihoodScorer(model, tokenizer);

        var fromText = scorer.Score([("q a ", "b"), ("xa", "bc")], TestContext.Current.CancellationToken);
        var fromTokens = scorer.ScoreTokens([HarnessEncoding.EncodePair(tokenizer, "q a ", "b", false), HarnessEncoding.EncodePair(tokenizer, "xa", "bc", false)], TestContext.Current.CancellationToken);

        Assert.Equal(fromTokens, fromText);
        Assert.Equal(1, fromText[0].TokenCount); // " b" as one token
    }

    [Fact]
    public void Token_ids_outside_the_vocabulary_are_rejected_with_the_request_index()
    {
        var scorer = new LoglikelihoodScorer(model, new ToyTokenizer());

        var error = Assert.Throws<ArgumentException>(() => scorer.ScoreTokens([new([1], [5]), new([1], [500])], TestContext.Current.CancellationToken));

        Assert.Contains("request 1", error.Message);
    }

    [Fact]
    public void An_unmerged_adapter_scores_like_the_same_adapter_merged_into_the_weights()
    {
        using var adapter = SyntheticAdapter.Create(model.Config, "style", seed: 3);
        var withAdapter = new LoglikelihoodScorer(model, new ToyTokenizer(), new ScoringOptions { BatchSize = 2, Adapters = [new WeightedAdapter(adapter, 0.5f)] })
            .ScoreTokens(Pairs, TestContext.Current.CancellationToken);
        var baseline = new LoglikelihoodScorer(model, new ToyTokenizer()).ScoreTokens(Pairs, TestContext.Current.CancellationToken);

        LoraMerge.Merge(model, adapter, 0.5f);
        var merged = new LoglikelihoodScorer(model, new ToyTokenizer()).ScoreTokens(Pairs, TestContext.Current.CancellationToken);

        for (var i = 0; i < Pairs.Length; i++)
        {
            Assert.Equal(merged[i].LogProbability, withAdapter[i].LogProbability, 1e-3);
            Assert.NotEqual(baseline[i].LogProbability, withAdapter[i].LogProbability, 1e-3);
        }
    }
}
