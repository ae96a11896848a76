namespace Tsuzumi.Benchmarks;

/// <summary>What every runtime is asked to do: prefill the same prompt, then decode greedily.</summary>
/// <param name="Prompt">Token ids; the same for every runtime on a given vocabulary.</param>
/// <param name="DecodeTokens">Tokens generated one at a time after the prompt (timed).</param>
internal sealed record DecodeWorkload(int[] Prompt, int DecodeTokens)
{
    /// <summary>BOS, then seeded ids past the specials and byte tokens: a prompt any vocabulary of this size accepts.</summary>
    public static DecodeWorkload For(int vocabularySize, int promptTokens, int decodeTokens)
    {
        var random = new Random(7);
        var prompt = new int[promptTokens];
        prompt[0] = 1;
        var first = Math.Min(259, vocabularySize - 1);
        for (var i = 1; i < prompt.Length; i++) prompt[i] = random.Next(first, vocabularySize);
        return new DecodeWorkload(prompt, decodeTokens);
    }

    /// <summary>A short run before timing, so one-time costs (page faults, JIT, allocator growth) are not counted.</summary>
    public DecodeWorkload WarmUp => new(Prompt[..Math.Min(8, Prompt.Length)], Math.Min(4, DecodeTokens));

    public int ContextLength => Prompt.Length + DecodeTokens;
}

/// <summary>One runtime's best throughput (tokens per second) over the alternating rounds.</summary>
internal sealed record DecodeSpeed(double PrefillTokensPerSecond, double DecodeTokensPerSecond, double LoadSeconds);
