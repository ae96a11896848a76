using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>log P(continuation | context) summed over the continuation's tokens, and whether greedy decoding would have produced it.</summary>
public sealed record Loglikelihood(double LogProbability, bool IsGreedy, int TokenCount);

/// <summary>How log-likelihoods are computed.</summary>
public sealed record ScoringOptions
{
    /// <summary>Prepend BOS (lm-eval's <c>add_bos_token=True</c>); off by default like the harness's HF backend.</summary>
    public bool AddBos { get; init; }

    /// <summary>Sequences per forward pass; they are right-padded to the longest, which a causal model cannot see.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Read special-token text (chat markers) in contexts as special tokens, as a chat-templated prompt needs.</summary>
    public bool ParseSpecialTokens { get; init; }

    /// <summary>LoRA adapters applied to every sequence (empty: the base model).</summary>
    public IReadOnlyList<WeightedAdapter> Adapters { get; init; } = [];
}

/// <summary>
/// lm-evaluation-harness's <c>loglikelihood</c> for a causal model: the input is (context + continuation) without its last
/// token, left-truncated to the context window; the log-softmax at the positions before each continuation token is
/// gathered and summed, and <c>is_greedy</c> says whether every continuation token was the argmax. One forward pass
/// scores a whole sequence; sequences are sorted longest-first and batched.
/// </summary>
public sealed class LoglikelihoodScorer(LlamaForCausalLM model, ITokenizer tokenizer, ScoringOptions? options = null)
{
    private readonly ScoringOptions options = options ?? new ScoringOptions();

    public IReadOnlyList<Loglikelihood> Score(IReadOnlyList<(string Context, string Continuation)> requests, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(requests);
        return ScoreTokens(requests.Select(request => HarnessEncoding.EncodePair(tokenizer, request.Context, request.Continuation, options.AddBos, options.ParseSpecialTokens)).ToArray(), cancellation);
    }

    /// <summary>Scores already-encoded pairs (exposed so tests can check the arithmetic apart from tokenisation).</summary>
    public IReadOnlyList<Loglikelihood> ScoreTokens(IReadOnlyList<EncodedPair> pairs, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        if (options.BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(options), options.BatchSize, "batch size must be ≥ 1");
        var window = model.Config.MaxPositionEmbeddings;
        var results = new Loglikelihood[pairs.Count];
        var inputs = new List<(int Index, int[] Input, int[] Continuation)>();
        for (var i = 0; i < pairs.Count; i++)
        {
            if (pairs[i].Context.Count == 0) throw new ArgumentException($"request {i}: the context has no tokens (use BOS)", nameof(pairs));
            var continuation = pairs[i].Continuation.ToArray();
            if (continuation.Length == 0)
            {
                results[i] = new Loglikelihood(0, true, 0); // nothing to predict: log 1
                continue;
            }
            if (continuation.Length > window)
                throw new ArgumentException($"request {i}: the continuation alone has {continuation.Length} tokens, more than the {window}-token context window");
            var whole = pairs[i].Context.Concat(continuation).ToArray();
            foreach (var id in whole)
            {
                if ((uint)id >= (uint)model.Config.VocabSize) throw new ArgumentException($"request {i}: token id {id} is outside the vocabulary");
            }
            var kept = whole[^Math.Min(whole.Length, window + 1)..]; // (context + continuation)[-(window + 1):]
            inputs.Add((i, kept[..^1], continuation));
        }

        // Longest first, like the harness: similar lengths share a batch and padding stays small.
        foreach (var batch in inputs.OrderByDescending(input => input.Input.Length).ThenBy(input => input.Index).Chunk(options.BatchSize))
        {
            cancellation.ThrowIfCancellationRequested();
            var scored = ScoreBatch(batch);
            for (var row = 0; row < batch.Length; row++) results[batch[row].Index] = scored[row];
        }
        return results;
    }

    private Loglikelihood[] ScoreBatch((int Index, int[] Input, int[] Continuation)[] batch)
    {
        using var scope = NewDisposeScope();
        var length = batch.Max(row => row.Input.Length);
        var ids = new long[batch.Length * length];      // right-padded with token 0, never read back
        var targets = new long[batch.Length * length];  // the token each position should predict
        for (var row = 0; row < batch.Length; row++)
        {
            var (_, input, continuation) = batch[row];
            for (var position = 0; position < input.Length; position++) ids[row * length + position] = input[position];
            var firstScored = input.Length - continuation.Length;
            for (var k = 0; k < continuation.Length; k++) targets[row * length + firstScored + k] = continuation[k];
        }

        var caches = batch.Select(_ => model.CreateCache()).ToArray();
        AdapterBatch? adapters = options.Adapters.Count == 0
            ? null
            : new AdapterBatch(batch.Select(_ => options.Adapters).ToArray(), ScalarType.Float32);
        try
        {
            var logits = model.Forward(tensor(ids, new long[] { batch.Length, length }), caches, lastOnly: false, adapters); // [B, T, vocab]
            var logProbabilities = logits.log_softmax(-1);                                                               // [B, T, vocab]
            var targetTensor = tensor(targets, new long[] { batch.Length, length });
            var gathered = logProbabilities.gather(-1, targetTensor.unsqueeze(-1)).squeeze(-1).data<float>().ToArray();   // [B, T]
            var greedy = logProbabilities.argmax(-1).data<long>().ToArray();                                              // [B, T]

            var scored = new Loglikelihood[batch.Length];
            for (var row = 0; row < batch.Length; row++)
            {
                var (_, input, continuation) = batch[row];
                var firstScored = input.Length - continuation.Length;
                double sum = 0;
                var isGreedy = true;
                for (var k = 0; k < continuation.Length; k++)
                {
                    var at = row * length + firstScored + k;
                    sum += gathered[at];
                    isGreedy &= greedy[at] == continuation[k];
                }
                scored[row] = new Loglikelihood(sum, isGreedy, continuation.Length);
            }
            return scored;
        }
        finally
        {
            adapters?.Dispose();
            foreach (var cache in caches) cache.Dispose();
        }
    }
}
