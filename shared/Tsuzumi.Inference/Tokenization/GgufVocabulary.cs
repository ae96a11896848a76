namespace Tsuzumi.Inference.Tokenization;

/// <summary>The tokenizer a GGUF file carries in its <c>tokenizer.ggml.*</c> metadata.</summary>
/// <param name="Model"><c>llama</c> (SentencePiece BPE with byte fallback) or <c>gpt2</c> (byte-level BPE).</param>
/// <param name="TokenTypes">1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.</param>
/// <param name="Pre"><c>tokenizer.ggml.pre</c>: the pre-tokenizer name for gpt2-style models.</param>
public sealed record GgufVocabulary(
    string Model,
    string[] Tokens,
    float[]? Scores,
    int[]? TokenTypes,
    string[]? Merges,
    int? BosId,
    int? EosId,
    int? UnknownId,
    int? PaddingId,
    bool AddBos,
    bool AddEos,
    string? Pre);
