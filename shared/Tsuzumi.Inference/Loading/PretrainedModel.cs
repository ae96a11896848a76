using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Loading;

/// <summary>A model ready to generate: weights in memory, its tokenizer and chat template.</summary>
public sealed class PretrainedModel : IDisposable
{
    private PretrainedModel(string sourcePath, LlamaForCausalLM model, ITokenizer tokenizer, string? chatTemplate)
    {
        SourcePath = sourcePath;
        Model = model;
        Tokenizer = tokenizer;
        ChatTemplate = chatTemplate;
    }

    public string SourcePath { get; }

    public LlamaForCausalLM Model { get; }

    public ITokenizer Tokenizer { get; }

    /// <summary>The model's own chat template text (Jinja), when its files carry one.</summary>
    public string? ChatTemplate { get; }

    /// <summary>
    /// Loads a <c>.gguf</c> file or a Hugging Face folder (config.json + safetensors + tokenizer.json).
    /// Without <paramref name="dtype"/>, fp32 weights compute in fp32 (bit-faithful) and anything narrower in bf16.
    /// </summary>
    public static PretrainedModel Load(string path, ScalarType? dtype = null)
    {
        if (File.Exists(path)) return LoadGguf(path, dtype);
        if (Directory.Exists(path)) return LoadHuggingFace(path, dtype);
        throw NoModelAt(path);
    }

    /// <summary>
    /// The checkpoint of a <c>.gguf</c> file or a Hugging Face folder — configuration and tensor index, no tokenizer, no
    /// weights in memory — for tools that only need the model's shape (converting an adapter for it, for example).
    /// </summary>
    public static Checkpoint ReadCheckpoint(string path) =>
        File.Exists(path) ? GgufCheckpointReader.Read(path)
        : Directory.Exists(path) ? HuggingFaceCheckpointReader.Read(path)
        : throw NoModelAt(path);

    private static FileNotFoundException NoModelAt(string path) =>
        new($"no model at '{path}': expected a .gguf file or a Hugging Face model folder", path);

    /// <summary>fp32 when every matrix is stored as F32, else bf16 (half the bytes per token, and the faster kernel).</summary>
    public static ScalarType FastestCorrectDType(Checkpoint checkpoint) =>
        checkpoint.Tensors.Values.Where(tensor => tensor.Shape.Length == 2).All(tensor => tensor.StorageType == "F32")
            ? ScalarType.Float32
            : ScalarType.BFloat16;

    private static PretrainedModel LoadGguf(string path, ScalarType? dtype)
    {
        var file = GgufFile.Open(path);
        using var checkpoint = GgufCheckpointReader.Read(file, ownsFile: true);
        var vocabulary = GgufCheckpointReader.ReadVocabulary(file)
            ?? throw new ModelFormatException(path, "tokenizer.ggml.model", "the file carries no tokenizer");
        var tokenizer = GgufTokenizer.Create(vocabulary, path);
        var model = LlamaForCausalLM.Load(checkpoint, dtype ?? FastestCorrectDType(checkpoint));
        return new PretrainedModel(path, model, tokenizer, checkpoint.ChatTemplate);
    }

    private static PretrainedModel LoadHuggingFace(string folder, ScalarType? dtype)
    {
        var files = HuggingFaceFolder.Locate(folder);
        using var checkpoint = HuggingFaceCheckpointReader.Read(files);
        if (files.TokenizerJsonPath is null)
            throw new ModelFormatException(folder, "tokenizer.json", "the folder has no tokenizer.json");
        var tokenizer = TokenizerJson.Load(files.TokenizerJsonPath, files.TokenizerConfigPath);
        var model = LlamaForCausalLM.Load(checkpoint, dtype ?? FastestCorrectDType(checkpoint));
        return new PretrainedModel(folder, model, tokenizer, checkpoint.ChatTemplate);
    }

    public void Dispose() => Model.Dispose();
}
