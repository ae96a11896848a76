using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>A (context, continuation) pair as token ids, split the way lm-evaluation-harness splits it.</summary>
public sealed record EncodedPair(IReadOnlyList<int> Context, IReadOnlyList<int> Continuation);

/// <summary>
/// lm-evaluation-harness's <c>_encode_pair</c> for causal models: trailing whitespace of the context moves to the
/// front of the continuation; the whole string is encoded once and split at the context's own token count, so a
/// token that merges across the boundary counts as continuation. An empty context becomes BOS (EOS without one).
/// Special tokens are off by default, as in the harness's HF backend; <c>addBos</c> matches its
/// <c>add_bos_token=True</c> (BOS in front of both encodings).
/// </summary>
public static class HarnessEncoding
{
    public static EncodedPair EncodePair(ITokenizer tokenizer, string context, string continuation, bool addBos, bool parseSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        // A whitespace-only context would leave nothing to condition the first continuation token on, so it is
        // treated as empty (the harness would index before the start); its whitespace stays with the continuation.
        if (context.TrimEnd().Length == 0)
        {
            continuation = context + continuation;
            var prefix = tokenizer.BosId ?? tokenizer.EosId
                ?? throw new InvalidOperationException("an empty context needs a BOS or EOS token to condition on");
            return new EncodedPair([prefix], Encode(tokenizer, continuation, addBos, parseSpecialTokens));
        }
        var trimmed = context.TrimEnd();
        if (trimmed.Length < context.Length)
        {
            continuation = context[trimmed.Length..] + continuation;
            context = trimmed;
        }
        var whole = Encode(tokenizer, context + continuation, addBos, parseSpecialTokens);
        var contextIds = Encode(tokenizer, context, addBos, parseSpecialTokens);
        var split = Math.Min(contextIds.Count, whole.Count);
        return new EncodedPair(contextIds, whole.Skip(split).ToArray());
    }

    // BOS is prepended here rather than through addSpecialTokens, so a tokenizer that also appends EOS cannot
    // put an EOS between context and continuation.
    private static IReadOnlyList<int> Encode(ITokenizer tokenizer, string text, bool addBos, bool parseSpecialTokens)
    {
        var ids = tokenizer.Encode(text, addSpecialTokens: false, parseSpecialTokens);
        return addBos && tokenizer.BosId is { } bos ? [bos, .. ids] : ids;
    }
}
