using System.Text;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Tests.Tokenization;

/// <summary>
/// Test-only: reads just the <c>tokenizer.ggml.*</c> metadata of a GGUF file, so the tokenizer tests do not wait on
/// the GGUF loader written elsewhere. Follows the GGUF v3 layout: header, then typed key/value pairs.
/// </summary>
internal static class GgufVocabularyTestReader
{
    public static GgufVocabulary Read(string path)
    {
        using var reader = new BinaryReader(File.OpenRead(path), Encoding.UTF8);
        if (reader.ReadUInt32() != 0x46554747) throw new InvalidDataException($"{path} is not GGUF");
        reader.ReadUInt32(); // version
        reader.ReadUInt64(); // tensor count
        var count = reader.ReadUInt64();
        var metadata = new Dictionary<string, object>();
        for (ulong i = 0; i < count; i++)
        {
            var key = ReadString(reader);
            metadata[key] = ReadValue(reader, reader.ReadUInt32());
        }

        T? Get<T>(string key) => metadata.TryGetValue(key, out var value) ? (T)value : default;
        // Ids are u32; llama.cpp writes -1 (0xFFFFFFFF) for "none".
        int? Id(string key) => metadata.TryGetValue(key, out var value) ? unchecked((int)Convert.ToUInt32(value)) : null;
        return new GgufVocabulary(
            Model: Get<string>("tokenizer.ggml.model")!,
            Tokens: Get<object[]>("tokenizer.ggml.tokens")!.Cast<string>().ToArray(),
            Scores: Get<object[]>("tokenizer.ggml.scores")?.Cast<float>().ToArray(),
            TokenTypes: Get<object[]>("tokenizer.ggml.token_type")?.Select(Convert.ToInt32).ToArray(),
            Merges: Get<object[]>("tokenizer.ggml.merges")?.Cast<string>().ToArray(),
            BosId: Id("tokenizer.ggml.bos_token_id"),
            EosId: Id("tokenizer.ggml.eos_token_id"),
            UnknownId: Id("tokenizer.ggml.unknown_token_id"),
            PaddingId: Id("tokenizer.ggml.padding_token_id"),
            AddBos: metadata.TryGetValue("tokenizer.ggml.add_bos_token", out var addBos) ? (bool)addBos : true,
            AddEos: metadata.TryGetValue("tokenizer.ggml.add_eos_token", out var addEos) && (bool)addEos,
            Pre: Get<string>("tokenizer.ggml.pre"));
    }

    private static string ReadString(BinaryReader reader) => Encoding.UTF8.GetString(reader.ReadBytes(checked((int)reader.ReadUInt64())));

    private static object ReadValue(BinaryReader reader, uint type) => type switch
    {
        0 => reader.ReadByte(),
        1 => reader.ReadSByte(),
        2 => reader.ReadUInt16(),
        3 => reader.ReadInt16(),
        4 => reader.ReadUInt32(),
        5 => reader.ReadInt32(),
        6 => reader.ReadSingle(),
        7 => reader.ReadByte() != 0,
        8 => ReadString(reader),
        9 => ReadArray(reader),
        10 => reader.ReadUInt64(),
        11 => reader.ReadInt64(),
        12 => reader.ReadDouble(),
        _ => throw new InvalidDataException($"unknown GGUF value type {type}"),
    };

    private static object[] ReadArray(BinaryReader reader)
    {
        var elementType = reader.ReadUInt32();
        var length = checked((int)reader.ReadUInt64());
        var items = new object[length];
        for (var i = 0; i < length; i++) items[i] = ReadValue(reader, elementType);
        return items;
    }
}
