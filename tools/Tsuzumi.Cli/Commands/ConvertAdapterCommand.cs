using System.CommandLine;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Loading;

namespace Tsuzumi.Cli.Commands;

/// <summary>
/// <c>tsuzumi convert-adapter</c>: a LoRA adapter from one format into the other, unmerged: a PEFT folder into a
/// llama.cpp <c>.gguf</c> LoRA file (for llama.cpp, LLamaSharp, Ollama…) or a <c>.gguf</c> LoRA file into a PEFT folder.
/// The base model is needed because the file's architecture, q/k row layout and shapes are the base's.
/// </summary>
internal static class ConvertAdapterCommand
{
    private static readonly Dictionary<string, GgufTensorType> Types = new(StringComparer.OrdinalIgnoreCase)
    {
        ["f32"] = GgufTensorType.F32,
        ["f16"] = GgufTensorType.F16,
        ["bf16"] = GgufTensorType.BF16,
        ["q8_0"] = GgufTensorType.Q8_0,
    };

    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "The adapter's base model: a .gguf file or a Hugging Face folder", Required = true };
        var adapter = new Option<string>("--adapter") { Description = "The adapter: a PEFT folder or a llama.cpp .gguf LoRA file", Required = true };
        var output = new Option<string>("--out") { Description = "Output: a .gguf file (llama.cpp LoRA) or a folder (PEFT)", Required = true };
        var type = new Option<string>("--type") { Description = "Tensor type of a .gguf output: f32, f16, bf16 or q8_0", DefaultValueFactory = _ => "f32" };

        var command = new Command("convert-adapter", "Convert a LoRA adapter between PEFT and llama.cpp's GGUF LoRA format (unmerged)")
        {
            model, adapter, output, type,
        };
        command.SetAction(parse =>
        {
            try
            {
                var outputPath = Path.GetFullPath(parse.GetValue(output)!);
                if (File.Exists(outputPath) || (Directory.Exists(outputPath) && Directory.EnumerateFileSystemEntries(outputPath).Any()))
                    throw new IOException($"{outputPath} already exists; choose a new output path");
                if (!Types.TryGetValue(parse.GetValue(type)!, out var tensorType))
                    throw new ArgumentException($"--type must be one of {string.Join(", ", Types.Keys)}, not '{parse.GetValue(type)}'");
                var modelPath = parse.GetValue(model)!;
                // The configuration is all that is needed: tensors of the base are never read.
                using var checkpoint = PretrainedModel.ReadCheckpoint(modelPath);
                using var loaded = LoraAdapter.Load(parse.GetValue(adapter)!, checkpoint.Config);
                if (GgufLoraFormat.IsGgufPath(outputPath)) GgufLoraFormat.Save(loaded, checkpoint.Config, outputPath, tensorType);
                else PeftAdapterFormat.Save(loaded, outputPath);
                Console.Error.WriteLine($"tsuzumi convert-adapter: {loaded.Id} (rank {loaded.Config.Rank}, scale {loaded.Scale:0.###}, {loaded.Pairs.Count} modules) → {outputPath}");
                return 0;
            }
            catch (Exception error) when (error is ModelFormatException or FileNotFoundException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"tsuzumi convert-adapter: {error.Message.ReplaceLineEndings(" ")}");
                return 2;
            }
        });
        return command;
    }
}
