using System.CommandLine;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>tsuzumi merge</c>: fold weighted adapters into the base and export one model, for single-adapter deployments.</summary>
internal static class MergeCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Base model: a .gguf file or a Hugging Face folder", Required = true };
        var adapter = AdapterOption.Create();
        adapter.Required = true;
        var output = new Option<string>("--out") { Description = "Output: a Hugging Face folder, or a .gguf file", Required = true };

        var command = new Command("merge", "Merge LoRA adapters into the base weights and export the merged model (HF folder or .gguf)")
        {
            model, adapter, output,
        };
        command.SetAction(parse =>
        {
            try
            {
                var outputPath = Path.GetFullPath(parse.GetValue(output)!);
                if (File.Exists(outputPath) || (Directory.Exists(outputPath) && Directory.EnumerateFileSystemEntries(outputPath).Any()))
                    throw new IOException($"{outputPath} already exists; choose a new output path");
                var modelPath = parse.GetValue(model)!;
                using var loaded = PretrainedModel.Load(modelPath, ScalarType.Float32);
                var adapters = AdapterOption.Load(parse.GetValue(adapter), loaded.Model.Config);
                foreach (var weighted in adapters)
                {
                    LoraMerge.Merge(loaded.Model, weighted.Adapter, weighted.Weight);
                    weighted.Adapter.Dispose();
                }
                var merged = ModelExport.ToCheckpoint(loaded.Model, modelPath, loaded.ChatTemplate);
                if (outputPath.EndsWith(".gguf", StringComparison.OrdinalIgnoreCase))
                {
                    if (!File.Exists(modelPath)) throw new ArgumentException("a .gguf output needs a .gguf base model (its vocabulary is copied)");
                    using var source = GgufFile.Open(modelPath);
                    GgufCheckpointWriter.Write(merged, GgufCheckpointReader.ReadVocabulary(source), outputPath);
                }
                else
                {
                    var tokenizer = Directory.Exists(modelPath) ? HuggingFaceFolder.Locate(modelPath).TokenizerJsonPath : null;
                    HuggingFaceCheckpointWriter.Write(merged, outputPath, SafetensorsDtype.F32, tokenizer);
                }
                Console.Error.WriteLine($"tsuzumi merge: {adapters.Count} adapter(s) merged into {modelPath} → {outputPath}");
                return 0;
            }
            catch (Exception error) when (error is ModelFormatException or FileNotFoundException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"tsuzumi merge: {error.Message.ReplaceLineEndings(" ")}");
                return 2;
            }
        });
        return command;
    }
}
