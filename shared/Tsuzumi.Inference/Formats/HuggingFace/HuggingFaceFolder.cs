namespace Tsuzumi.Inference.Formats.HuggingFace;

/// <summary>
/// The files of a Hugging Face model folder. The tokenizer paths are exposed rather than read here, so whoever
/// builds an <c>ITokenizer</c> from <c>tokenizer.json</c> can find it next to the weights.
/// </summary>
/// <param name="WeightsIndexPath"><c>model.safetensors.index.json</c> for sharded weights, else null.</param>
/// <param name="SingleWeightsPath"><c>model.safetensors</c> for unsharded weights, else null.</param>
public sealed record HuggingFaceFolder(
    string Directory,
    string ConfigPath,
    string? WeightsIndexPath,
    string? SingleWeightsPath,
    string? TokenizerJsonPath,
    string? TokenizerConfigPath,
    string? GenerationConfigPath,
    string? ChatTemplatePath)
{
    public const string ConfigFileName = "config.json";
    public const string SingleWeightsFileName = "model.safetensors";
    public const string WeightsIndexFileName = "model.safetensors.index.json";
    public const string TokenizerJsonFileName = "tokenizer.json";
    public const string TokenizerConfigFileName = "tokenizer_config.json";
    public const string GenerationConfigFileName = "generation_config.json";

    /// <summary>Newer transformers save the chat template beside tokenizer_config.json instead of inside it.</summary>
    public const string ChatTemplateFileName = "chat_template.jinja";

    /// <summary>Finds the files of <paramref name="directory"/>; config.json and some weights must be present.</summary>
    /// <exception cref="ModelFormatException">The folder, its config.json or its weights are missing.</exception>
    public static HuggingFaceFolder Locate(string directory)
    {
        var fullPath = Path.GetFullPath(directory);
        if (!System.IO.Directory.Exists(fullPath))
            throw new ModelFormatException(fullPath, null, "model folder not found");

        string? Optional(string name) => File.Exists(Path.Combine(fullPath, name)) ? Path.Combine(fullPath, name) : null;

        var config = Optional(ConfigFileName)
            ?? throw new ModelFormatException(fullPath, ConfigFileName, "missing: a Hugging Face model folder needs config.json");
        var index = Optional(WeightsIndexFileName);
        var single = index is null ? Optional(SingleWeightsFileName) : null;
        if (index is null && single is null)
            throw new ModelFormatException(fullPath, SingleWeightsFileName,
                $"missing: neither {SingleWeightsFileName} nor {WeightsIndexFileName} is present (only safetensors weights are read)");

        return new HuggingFaceFolder(fullPath, config, index, single,
            Optional(TokenizerJsonFileName), Optional(TokenizerConfigFileName), Optional(GenerationConfigFileName), Optional(ChatTemplateFileName));
    }
}
