namespace Tsuzumi.Inference.Generation;

/// <summary>What to generate from: prompt token ids (BOS included when the model wants it) and limits.</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, int MaxTokens, SamplingOptions Sampling)
{
    /// <summary>Generation ends before the first occurrence of any of these; the stop text is not returned.</summary>
    public IReadOnlyList<string> StopStrings { get; init; } = [];

    /// <summary>End at EOS (and the template's end-of-turn tokens).</summary>
    public bool StopAtEndOfGeneration { get; init; } = true;
}

/// <summary>One generated token: its id, the text it released (possibly empty while UTF-8 or a stop string is pending) and its log-probability under the model.</summary>
public sealed record GeneratedToken(int Id, string Text, float LogProbability);

public enum FinishReason
{
    /// <summary>MaxTokens reached, or the context window is full.</summary>
    Length,

    /// <summary>The model produced EOS or an end-of-turn token.</summary>
    EndOfSequence,

    /// <summary>A stop string appeared.</summary>
    StopString,
}

/// <summary>The whole outcome of one generation, with timings.</summary>
public sealed record GenerationResult(
    string Text,
    IReadOnlyList<GeneratedToken> Tokens,
    FinishReason FinishReason,
    int PromptTokenCount,
    TimeSpan PrefillTime,
    TimeSpan DecodeTime)
{
    public double PrefillTokensPerSecond => PromptTokenCount / Math.Max(PrefillTime.TotalSeconds, 1e-9);

    /// <summary>Tokens after the first (the first comes from the prefill's logits) per second of decode.</summary>
    public double DecodeTokensPerSecond => Math.Max(0, Tokens.Count - 1) / Math.Max(DecodeTime.TotalSeconds, 1e-9);

    /// <summary>Mean log-probability of the generated tokens: a confidence score comparable across lengths.</summary>
    public double MeanLogProbability => Tokens.Count == 0 ? double.NegativeInfinity : Tokens.Average(token => token.LogProbability);
}
