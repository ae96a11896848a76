namespace Tsuzumi.Inference.Tokenization;

/// <summary>Which token ids end a generated turn: EOS plus the end-of-turn markers chat models are trained with.</summary>
internal static class EndOfGenerationTokens
{
    /// <summary>Token texts llama.cpp also treats as end-of-generation when they are special tokens.</summary>
    public static readonly IReadOnlyList<string> KnownTexts =
    [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>", "<|eom_id|>", "<EOT>",
    ];

    public static HashSet<int> Collect(IReadOnlyList<string> tokens, int? eosId, Func<int, bool> isSpecial)
    {
        var ids = new HashSet<int>();
        if (eosId is { } eos) ids.Add(eos);
        var known = KnownTexts.ToHashSet(StringComparer.Ordinal);
        for (var id = 0; id < tokens.Count; id++)
        {
            if (known.Contains(tokens[id]) && isSpecial(id)) ids.Add(id);
        }
        return ids;
    }
}
