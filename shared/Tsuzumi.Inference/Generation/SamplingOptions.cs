namespace Tsuzumi.Inference.Generation;

/// <summary>How the next token is chosen. Temperature 0 means greedy (argmax), whatever else is set.</summary>
public sealed record SamplingOptions
{
    public float Temperature { get; init; } = 0.8f;

    /// <summary>Keep the k most likely tokens; 0 disables.</summary>
    public int TopK { get; init; }

    /// <summary>Keep the smallest set whose probability reaches p; 1 disables.</summary>
    public float TopP { get; init; } = 1f;

    /// <summary>Drop tokens less likely than min-p × the most likely one; 0 disables.</summary>
    public float MinP { get; init; }

    /// <summary>Divide positive (multiply negative) logits of recently seen tokens; 1 disables.</summary>
    public float RepetitionPenalty { get; init; } = 1f;

    /// <summary>How many of the last tokens the repetition penalty looks at.</summary>
    public int RepetitionWindow { get; init; } = 64;

    /// <summary>Seed of the sampling random stream: the same seed, prompt and options give the same text.</summary>
    public int Seed { get; init; } = 42;

    public static SamplingOptions Greedy { get; } = new() { Temperature = 0 };

    public void Validate()
    {
        if (float.IsNaN(Temperature) || Temperature < 0) throw new ArgumentOutOfRangeException(nameof(Temperature), Temperature, "temperature must be ≥ 0");
        if (TopK < 0) throw new ArgumentOutOfRangeException(nameof(TopK), TopK, "top-k must be ≥ 0");
        if (!(TopP is > 0 and <= 1)) throw new ArgumentOutOfRangeException(nameof(TopP), TopP, "top-p must be in (0, 1]");
        if (!(MinP is >= 0 and < 1)) throw new ArgumentOutOfRangeException(nameof(MinP), MinP, "min-p must be in [0, 1)");
        if (!(RepetitionPenalty > 0)) throw new ArgumentOutOfRangeException(nameof(RepetitionPenalty), RepetitionPenalty, "repetition penalty must be > 0");
        if (RepetitionWindow < 0) throw new ArgumentOutOfRangeException(nameof(RepetitionWindow), RepetitionWindow, "repetition window must be ≥ 0");
    }
}
