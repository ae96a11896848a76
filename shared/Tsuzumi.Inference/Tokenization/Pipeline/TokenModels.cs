namespace Tsuzumi.Inference.Tokenization.Pipeline;

/// <summary>A tokenizer.json <c>model</c>: turns one pre-tokenized piece into ids.</summary>
internal interface ITokenModel
{
    /// <summary>Piece text by id (index = id); ids past the model's vocabulary belong to added tokens.</summary>
    IReadOnlyList<string> Pieces { get; }

    int? IdOf(string piece);

    void Tokenize(string piece, List<int> output);
}

/// <summary>Byte-fallback lookups shared by BPE and Unigram: the &lt;0xXX&gt; ids for a string's UTF-8 bytes.</summary>
internal static class ByteFallback
{
    public static int[] ByteIds(Func<string, int?> idOf)
    {
        var ids = new int[256];
        for (var b = 0; b < 256; b++) ids[b] = idOf($"<0x{b:X2}>") ?? -1;
        return ids;
    }

    /// <summary>Appends byte tokens for <paramref name="text"/>; false (and nothing appended) when one is missing.</summary>
    public static bool TryAppend(string text, int[] byteIds, List<int> output)
    {
        var bytes = System.Text.Encoding.UTF8.GetBytes(text);
        if (bytes.Any(b => byteIds[b] < 0)) return false;
        foreach (var b in bytes) output.Add(byteIds[b]);
        return true;
    }
}
