using System.Text.Json;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Tests.Tokenization;

/// <summary>Small tokenizer.json files written by the tests, shaped like Qwen2's (byte-level) and Llama-2's (byte fallback).</summary>
internal sealed class SyntheticTokenizerFiles : IDisposable
{
    public const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly string _folder = Directory.CreateTempSubdirectory("tsuzumi-tok-").FullName;

    public string Write(string name, object content)
    {
        var path = Path.Combine(_folder, name);
        File.WriteAllText(path, content as string ?? JsonSerializer.Serialize(content));
        return path;
    }

    /// <summary>Ids 0..255 are the byte-level characters in byte order; merges build "hello" (259) and "Ġworld" (264).</summary>
    public static object ByteLevelBpe()
    {
        var vocab = new Dictionary<string, int>();
        for (var b = 0; b < 256; b++) vocab[Tsuzumi.Inference.Tokenization.Pipeline.ByteLevelAlphabet.CharFor((byte)b).ToString()] = b;
        string[] merges = ["h e", "l l", "he ll", "hell o", "Ġ w", "o r", "Ġw or", "l d", "Ġwor ld"];
        foreach (var merge in merges) vocab[merge.Replace(" ", "")] = vocab.Count;
        return new
        {
            version = "1.0",
            added_tokens = new object[]
            {
                new { id = 265, content = "<|im_start|>", special = true, single_word = false, lstrip = false, rstrip = false, normalized = false },
                new { id = 266, content = "<|im_end|>", special = true, single_word = false, lstrip = false, rstrip = false, normalized = false },
                new { id = 267, content = "<|endoftext|>", special = true, single_word = false, lstrip = false, rstrip = false, normalized = false },
            },
            normalizer = new { type = "NFC" },
            pre_tokenizer = new
            {
                type = "Sequence",
                pretokenizers = new object[]
                {
                    new { type = "Split", pattern = new { Regex = Qwen2Pattern }, behavior = "Isolated", invert = false },
                    new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
                },
            },
            post_processor = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
            decoder = new { type = "ByteLevel", add_prefix_space = false, trim_offsets = false, use_regex = false },
            model = new { type = "BPE", dropout = (object?)null, unk_token = (string?)null, byte_fallback = false, ignore_merges = false, vocab, merges = merges.Select(m => m.Split(' ')).ToArray() },
        };
    }

    /// <summary>Llama-2's layout: &lt;unk&gt; &lt;s&gt; &lt;/s&gt;, &lt;0x00&gt;..&lt;0xFF&gt; at 3..258, then ▁ h e l o and merges up to "▁hello" (268).</summary>
    public static object ByteFallbackBpe()
    {
        var vocab = new Dictionary<string, int> { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (var b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        foreach (var piece in new[] { "▁", "h", "e", "l", "o", "▁h", "el", "▁hel", "lo", "▁hello" }) vocab[piece] = vocab.Count;
        return new
        {
            version = "1.0",
            added_tokens = new object[]
            {
                new { id = 0, content = "<unk>", special = true },
                new { id = 1, content = "<s>", special = true },
                new { id = 2, content = "</s>", special = true },
            },
            normalizer = new { type = "Sequence", normalizers = new object[] { new { type = "Prepend", prepend = "▁" }, new { type = "Replace", pattern = new { String = " " }, content = "▁" } } },
            pre_tokenizer = (object?)null,
            post_processor = new
            {
                type = "TemplateProcessing",
                single = new object[] { new { SpecialToken = new { id = "<s>", type_id = 0 } }, new { Sequence = new { id = "A", type_id = 0 } } },
                pair = Array.Empty<object>(),
                special_tokens = new Dictionary<string, object> { ["<s>"] = new { id = "<s>", ids = new[] { 1 }, tokens = new[] { "<s>" } } },
            },
            decoder = new
            {
                type = "Sequence",
                decoders = new object[]
                {
                    new { type = "Replace", pattern = new { String = "▁" }, content = " " },
                    new { type = "ByteFallback" },
                    new { type = "Fuse" },
                    new { type = "Strip", content = " ", start = 1, stop = 0 },
                },
            },
            model = new { type = "BPE", unk_token = "<unk>", fuse_unk = true, byte_fallback = true, vocab, merges = new[] { "▁ h", "e l", "▁h el", "l o", "▁hel lo" } },
        };
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}
