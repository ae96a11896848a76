using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Tokenization.Pipeline;

namespace Tsuzumi.Inference.Tokenization;

/// <summary>Builds the tokenizer a GGUF file describes: SentencePiece BPE for <c>llama</c>, byte-level BPE for <c>gpt2</c>.</summary>
public static class GgufTokenizer
{
    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    private const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <param name="sourcePath">The GGUF file, named in errors.</param>
    public static ITokenizer Create(GgufVocabulary vocabulary, string sourcePath = "gguf")
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        return vocabulary.Model switch
        {
            "llama" => new SentencePieceBpeTokenizer(vocabulary, sourcePath),
            "gpt2" => CreateByteLevel(vocabulary, sourcePath),
            var other => throw new ModelFormatException(sourcePath, "tokenizer.ggml.model", $"unsupported tokenizer model '{other}' (supported: llama, gpt2)"),
        };
    }

    /// <summary>GPT-2-style BPE: the pre-tokenizer regex chosen by <c>tokenizer.ggml.pre</c>, bytes as printable characters, ranked merges.</summary>
    private static PipelineTokenizer CreateByteLevel(GgufVocabulary vocabulary, string sourcePath)
    {
        if (vocabulary.Merges is null) throw new ModelFormatException(sourcePath, "tokenizer.ggml.merges", "missing for a gpt2 tokenizer");
        var pattern = vocabulary.Pre switch
        {
            "llama-bpe" or "llama3" or "smaug-bpe" => Llama3Pattern,
            "qwen2" => Qwen2Pattern,
            null or "default" or "gpt-2" or "gpt2" => ByteLevelPreTokenizer.Gpt2Pattern,
            var other => throw new ModelFormatException(sourcePath, "tokenizer.ggml.pre", $"unsupported pre-tokenizer '{other}' (supported: llama-bpe, qwen2, gpt-2)"),
        };
        var ids = new Dictionary<string, int>(vocabulary.Tokens.Length, StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Tokens.Length; id++) ids.TryAdd(vocabulary.Tokens[id], id);
        var merges = vocabulary.Merges.Select((merge, index) => merge.Split(' ') is [var left, var right]
            ? (left, right)
            : throw new ModelFormatException(sourcePath, $"tokenizer.ggml.merges[{index}]", "a merge must be two pieces separated by one space")).ToList();
        var model = new BpeModel(ids, merges, unknownToken: null, byteFallback: false, fuseUnknown: false, ignoreMerges: vocabulary.Pre is "llama-bpe" or "llama3",
            formatError: problem => new ModelFormatException(sourcePath, "tokenizer.ggml.merges", problem));

        // Control (3) and user-defined (4) tokens are cut out of the text before BPE, as llama.cpp does.
        var types = vocabulary.TokenTypes ?? new int[vocabulary.Tokens.Length];
        var added = Enumerable.Range(0, vocabulary.Tokens.Length).Where(id => types[id] is 3 or 4)
            .Select(id => new AddedToken(id, vocabulary.Tokens[id], Special: types[id] == 3, SingleWord: false, LeftStrip: false, RightStrip: false))
            .ToList();
        var preTokenizer = new SequencePreTokenizer([
            new RegexSplitPreTokenizer(OnigurumaPattern.Compile(pattern), SplitBehavior.Isolated, invert: false),
            new ByteLevelPreTokenizer(addPrefixSpace: false, useRegex: false),
        ]);
        int[] prefix = vocabulary.AddBos && vocabulary.BosId is { } bos ? [bos] : [];
        int[] suffix = vocabulary.AddEos && vocabulary.EosId is { } eos ? [eos] : [];
        return new PipelineTokenizer(model, normalizer: null, preTokenizer, new ByteLevelDecoder(), added, prefix, suffix, vocabulary.BosId, vocabulary.EosId);
    }
}
