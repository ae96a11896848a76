using System.Text;
using System.Text.Json;
using Tsuzumi.Nano.Datasets;

namespace Tsuzumi.Nano.Tokenization;

/// <summary>
/// Writes a trained BPE as a standard Hugging Face <c>tokenizer.json</c> (model BPE with byte_fallback, Metaspace
/// pre-tokenizer, Llama-style decoder, BOS added by TemplateProcessing) and a <c>tokenizer_config.json</c> with a ChatML
/// chat template. Both load in <c>transformers</c> as well as in <c>TokenizerJson.Load</c>.
/// </summary>
public static class NanoTokenizerFiles
{
    public const string TokenizerFile = "tokenizer.json";
    public const string ConfigFile = "tokenizer_config.json";

    public const string ChatTemplate =
        "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}" +
        "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private static readonly JsonWriterOptions Pretty = JsonLines.WriterOptions with { Indented = true, NewLine = "\n" };

    public static string TokenizerJsonText(TrainedBpe bpe) => Write(writer =>
    {
        writer.WriteString("version", "1.0");
        writer.WriteNull("truncation");
        writer.WriteNull("padding");
        writer.WriteStartArray("added_tokens");
        for (var id = 0; id < bpe.SpecialTokenCount; id++)
        {
            writer.WriteStartObject();
            writer.WriteNumber("id", id);
            writer.WriteString("content", bpe.Vocabulary[id]);
            writer.WriteBoolean("single_word", false);
            writer.WriteBoolean("lstrip", false);
            writer.WriteBoolean("rstrip", false);
            writer.WriteBoolean("normalized", false);
            writer.WriteBoolean("special", true);
            writer.WriteEndObject();
        }
        writer.WriteEndArray();
        writer.WriteNull("normalizer");

        writer.WriteStartObject("pre_tokenizer");
        writer.WriteString("type", "Metaspace");
        writer.WriteString("replacement", BpeTrainer.Space.ToString());
        writer.WriteString("prepend_scheme", "first");
        writer.WriteBoolean("split", true);
        writer.WriteEndObject();

        writer.WriteStartObject("post_processor");
        writer.WriteString("type", "TemplateProcessing");
        writer.WriteStartArray("single");
        SpecialPiece(writer, "<s>");
        SequencePiece(writer, "A");
        writer.WriteEndArray();
        writer.WriteStartArray("pair");
        SpecialPiece(writer, "<s>");
        SequencePiece(writer, "A");
        SpecialPiece(writer, "<s>");
        SequencePiece(writer, "B");
        writer.WriteEndArray();
        writer.WriteStartObject("special_tokens");
        writer.WriteStartObject("<s>");
        writer.WriteString("id", "<s>");
        writer.WriteStartArray("ids");
        writer.WriteNumberValue(1);
        writer.WriteEndArray();
        writer.WriteStartArray("tokens");
        writer.WriteStringValue("<s>");
        writer.WriteEndArray();
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndObject();

        writer.WriteStartObject("decoder");
        writer.WriteString("type", "Sequence");
        writer.WriteStartArray("decoders");
        writer.WriteStartObject();
        writer.WriteString("type", "Replace");
        writer.WriteStartObject("pattern");
        writer.WriteString("String", BpeTrainer.Space.ToString());
        writer.WriteEndObject();
        writer.WriteString("content", " ");
        writer.WriteEndObject();
        writer.WriteStartObject();
        writer.WriteString("type", "ByteFallback");
        writer.WriteEndObject();
        writer.WriteStartObject();
        writer.WriteString("type", "Fuse");
        writer.WriteEndObject();
        writer.WriteStartObject();
        writer.WriteString("type", "Strip");
        writer.WriteString("content", " ");
        writer.WriteNumber("start", 1);
        writer.WriteNumber("stop", 0);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();

        writer.WriteStartObject("model");
        writer.WriteString("type", "BPE");
        writer.WriteNull("dropout");
        writer.WriteString("unk_token", "<unk>");
        writer.WriteNull("continuing_subword_prefix");
        writer.WriteNull("end_of_word_suffix");
        writer.WriteBoolean("fuse_unk", true);
        writer.WriteBoolean("byte_fallback", true);
        writer.WriteBoolean("ignore_merges", false);
        writer.WriteStartObject("vocab");
        for (var id = 0; id < bpe.Vocabulary.Count; id++) writer.WriteNumber(bpe.Vocabulary[id], id);
        writer.WriteEndObject();
        writer.WriteStartArray("merges");
        foreach (var (left, right) in bpe.Merges)
        {
            // The array form: unambiguous even if a piece ever contained a space.
            writer.WriteStartArray();
            writer.WriteStringValue(left);
            writer.WriteStringValue(right);
            writer.WriteEndArray();
        }
        writer.WriteEndArray();
        writer.WriteEndObject();
    });

    public static string ConfigJsonText() => Write(writer =>
    {
        writer.WriteBoolean("add_bos_token", true);
        writer.WriteBoolean("add_eos_token", false);
        writer.WriteString("bos_token", "<s>");
        writer.WriteString("eos_token", "</s>");
        writer.WriteString("unk_token", "<unk>");
        writer.WriteBoolean("clean_up_tokenization_spaces", false);
        writer.WriteBoolean("legacy", false);
        writer.WriteString("tokenizer_class", "LlamaTokenizerFast");
        writer.WriteString("chat_template", ChatTemplate);
    });

    private static void SpecialPiece(Utf8JsonWriter writer, string id)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("SpecialToken");
        writer.WriteString("id", id);
        writer.WriteNumber("type_id", 0);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void SequencePiece(Utf8JsonWriter writer, string id)
    {
        writer.WriteStartObject();
        writer.WriteStartObject("Sequence");
        writer.WriteString("id", id);
        writer.WriteNumber("type_id", 0);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string Write(Action<Utf8JsonWriter> writeFields)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, Pretty))
        {
            writer.WriteStartObject();
            writeFields(writer);
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
