using System.CommandLine;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>tsuzumi generate</c>: continue a prompt; the continuation goes to stdout, statistics to stderr.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "A .gguf file or a Hugging Face model folder", Required = true };
        var prompt = new Option<string>("--prompt") { Description = "Text to continue; \"\" starts from BOS alone", DefaultValueFactory = _ => "" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens to generate", DefaultValueFactory = _ => 128 };
        var temperature = new Option<float>("--temperature") { Description = "0 = greedy", DefaultValueFactory = _ => 0.8f };
        var topP = new Option<float>("--top-p") { DefaultValueFactory = _ => 1f };
        var topK = new Option<int>("--top-k") { DefaultValueFactory = _ => 0 };
        var minP = new Option<float>("--min-p") { DefaultValueFactory = _ => 0f };
        var repeatPenalty = new Option<float>("--repeat-penalty") { DefaultValueFactory = _ => 1f };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var dtype = new Option<string?>("--dtype") { Description = "fp32 or bf16; default: the fastest correct choice for the weights" };
        dtype.AcceptOnlyFromAmong("fp32", "bf16");
        var stop = new Option<string[]>("--stop") { Description = "Stop before this text (repeatable)", AllowMultipleArgumentsPerToken = false };
        var adapter = AdapterOption.Create();

        var command = new Command("generate", "Continue a prompt with a Llama-family model (GGUF or Hugging Face folder)")
        {
            model, prompt, maxTokens, temperature, topP, topK, minP, repeatPenalty, seed, dtype, stop, adapter,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var sampling = new SamplingOptions
                {
                    Temperature = parse.GetValue(temperature),
                    TopP = parse.GetValue(topP),
                    TopK = parse.GetValue(topK),
                    MinP = parse.GetValue(minP),
                    RepetitionPenalty = parse.GetValue(repeatPenalty),
                    Seed = parse.GetValue(seed),
                };
                sampling.Validate();
                // Checked before the (slow) model load so a typo fails at once.
                if (parse.GetValue(maxTokens) is var limit and < 0)
                    throw new ArgumentException($"--max-tokens must be 0 or more, was {limit}");
                var loadClock = System.Diagnostics.Stopwatch.StartNew();
                using var loaded = PretrainedModel.Load(parse.GetValue(model)!, parse.GetValue(dtype) switch
                {
                    "fp32" => ScalarType.Float32,
                    "bf16" => ScalarType.BFloat16,
                    _ => null,
                });
                var loadTime = loadClock.Elapsed;
                var promptTokens = loaded.Tokenizer.Encode(parse.GetValue(prompt)!, addSpecialTokens: true);
                var request = new GenerationRequest(promptTokens, parse.GetValue(maxTokens), sampling)
                {
                    StopStrings = parse.GetValue(stop) ?? [],
                };
                var adapters = AdapterOption.Load(parse.GetValue(adapter), loaded.Model.Config);
                using var adapterBatch = adapters.Count == 0 ? null : new AdapterBatch([adapters], ScalarType.Float32);
                var generator = new TextGenerator(loaded.Model, loaded.Tokenizer, adapterBatch);
                var stdout = Console.Out;
                var result = generator.Generate(request, cancellation, token =>
                {
                    stdout.Write(token.Text);
                    stdout.Flush();
                });
                Console.Error.WriteLine();
                Console.Error.WriteLine(
                    $"model {loaded.SourcePath} · {loaded.Model.DType} · loaded in {loadTime.TotalSeconds:F2} s · " +
                    $"prompt {result.PromptTokenCount} tokens at {result.PrefillTokensPerSecond:F1} tok/s · " +
                    $"generated {result.Tokens.Count} tokens at {result.DecodeTokensPerSecond:F1} tok/s · finish: {result.FinishReason}");
                return 0;
            }
            catch (Exception error) when (error is ModelFormatException or FileNotFoundException or ArgumentException or ContextWindowExceededException
                                              or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"tsuzumi generate: {error.Message.ReplaceLineEndings(" ")}"); // one line, even for ArgumentOutOfRangeException
                return 2;
            }
        });
        return command;
    }
}
