using System.CommandLine;
using System.Globalization;
using System.Runtime.InteropServices;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Training;
using static TorchSharp.torch;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>tsuzumi pretrain</c>: a Llama model from random weights on a text corpus (by default tsuzumi-nano's).</summary>
internal static class PretrainCommand
{
    private const string NanoFolder = "models/tsuzumi-nano";

    public static Command Create()
    {
        var defaults = new PretrainingOptions();
        var corpus = new Option<string[]>("--corpus") { Description = "Text files (documents separated by blank lines) or folders of *.txt", DefaultValueFactory = _ => [$"{NanoFolder}/data/corpus"], AllowMultipleArgumentsPerToken = true };
        var qa = new Option<string[]>("--qa") { Description = "{\"prompt\",\"completion\"} JSONL files added as \"Q: …\\nA: …\" documents", DefaultValueFactory = _ => [$"{NanoFolder}/data/qa/general/train.jsonl"], AllowMultipleArgumentsPerToken = true };
        var noQa = new Option<bool>("--no-qa") { Description = "Pretrain on the text files only" };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer.json (its tokenizer_config.json is copied along)", DefaultValueFactory = _ => $"{NanoFolder}/tokenizer.json" };
        var output = new Option<string>("--out") { Description = "Folder for the model files; other files in it (data/, README) are kept", DefaultValueFactory = _ => NanoFolder };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => defaults.HiddenSize };
        var intermediate = new Option<int>("--intermediate") { Description = "SwiGLU width", DefaultValueFactory = _ => defaults.IntermediateSize };
        var layers = new Option<int>("--layers") { DefaultValueFactory = _ => defaults.Layers };
        var heads = new Option<int>("--heads") { DefaultValueFactory = _ => defaults.AttentionHeads };
        var kvHeads = new Option<int>("--kv-heads") { DefaultValueFactory = _ => defaults.KeyValueHeads };
        var context = new Option<int>("--context") { Description = "Training window and context length in tokens", DefaultValueFactory = _ => defaults.ContextLength };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => defaults.Epochs };
        var batch = new Option<int>("--batch") { Description = "Windows per optimiser step", DefaultValueFactory = _ => defaults.BatchSize };
        var learningRate = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => defaults.LearningRate };
        var weightDecay = new Option<double>("--weight-decay") { DefaultValueFactory = _ => defaults.WeightDecay };
        var warmup = new Option<double>("--warmup") { Description = "Share of steps warming up the learning rate", DefaultValueFactory = _ => defaults.WarmupFraction };
        var maxGradNorm = new Option<double>("--max-grad-norm") { DefaultValueFactory = _ => defaults.MaxGradientNorm };
        var evalFraction = new Option<double>("--eval-fraction") { Description = "Share of windows held out for eval loss", DefaultValueFactory = _ => defaults.EvalFraction };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between eval-loss measurements (0 = at the end only)", DefaultValueFactory = _ => defaults.EvalEvery };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "Steps between resumable checkpoints (0 = on Ctrl-C only)", DefaultValueFactory = _ => defaults.CheckpointEvery };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => defaults.Seed };
        var threads = new Option<int>("--threads") { Description = "CPU threads for libtorch (0 = its default); part of what reproduces the weights", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from <out>.checkpoint if present" };

        var command = new Command("pretrain", "Pretrain a Llama model from random weights (default: tsuzumi-nano on its corpus)")
        {
            corpus, qa, noQa, tokenizer, output, hidden, intermediate, layers, heads, kvHeads, context, epochs, batch, learningRate,
            weightDecay, warmup, maxGradNorm, evalFraction, evalEvery, checkpointEvery, seed, threads, resume,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var options = new PretrainingOptions
                {
                    HiddenSize = parse.GetValue(hidden),
                    IntermediateSize = parse.GetValue(intermediate),
                    Layers = parse.GetValue(layers),
                    AttentionHeads = parse.GetValue(heads),
                    KeyValueHeads = parse.GetValue(kvHeads),
                    ContextLength = parse.GetValue(context),
                    Epochs = parse.GetValue(epochs),
                    BatchSize = parse.GetValue(batch),
                    LearningRate = parse.GetValue(learningRate),
                    WeightDecay = parse.GetValue(weightDecay),
                    WarmupFraction = parse.GetValue(warmup),
                    MaxGradientNorm = parse.GetValue(maxGradNorm),
                    EvalFraction = parse.GetValue(evalFraction),
                    EvalEvery = parse.GetValue(evalEvery),
                    CheckpointEvery = parse.GetValue(checkpointEvery),
                    Seed = parse.GetValue(seed),
                };
                options.Validate();
                var threadCount = parse.GetValue(threads);
                if (threadCount < 0) throw new ArgumentException($"--threads must be ≥ 0, was {threadCount}");
                if (threadCount > 0) set_num_threads(threadCount);

                var tokenizerPath = parse.GetValue(tokenizer)!;
                if (!File.Exists(tokenizerPath)) throw new FileNotFoundException($"tokenizer.json not found: {tokenizerPath}", tokenizerPath);
                var tokenizerConfig = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerPath))!, "tokenizer_config.json");
                var loadedTokenizer = TokenizerJson.Load(tokenizerPath, File.Exists(tokenizerConfig) ? tokenizerConfig : null);
                var textFiles = parse.GetValue(corpus)!.SelectMany(PretrainingCorpus.TextFiles).ToArray();
                var qaFiles = parse.GetValue(noQa) ? [] : parse.GetValue(qa)!;
                var loaded = PretrainingCorpus.Load(textFiles, qaFiles, loadedTokenizer);
                var outputPath = parse.GetValue(output)!;
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"tsuzumi pretrain: {loaded.Tokens.Count:N0} tokens in {loaded.DocumentCount:N0} documents from {loaded.Sources.Count} files · " +
                    $"{options.ParameterCount(loadedTokenizer.VocabularySize) / 1e6:F2}M parameters ({options.Layers} layers × {options.HiddenSize}, " +
                    $"{options.AttentionHeads}/{options.KeyValueHeads} heads, context {options.ContextLength}) · {options.Epochs} epochs · {get_num_threads()} threads"));

                if (!parse.GetValue(resume) && Directory.Exists(Pretrainer.CheckpointDirectory(outputPath)))
                    Console.Error.WriteLine($"tsuzumi pretrain: starting over; the checkpoint in {Pretrainer.CheckpointDirectory(outputPath)} will be replaced (pass --resume to continue it)");
                return await Interruptible.RunAsync("tsuzumi pretrain", cancellation, stop =>
                {
                    var report = new Pretrainer(options).Pretrain(loaded, loadedTokenizer, tokenizerPath, outputPath,
                        parse.GetValue(resume), new ProgressBar(), stop);
                    Console.Error.WriteLine();
                    if (!report.Completed)
                    {
                        Console.Error.WriteLine($"tsuzumi pretrain: interrupted at step {report.Steps}/{report.TotalSteps}; checkpoint in {Pretrainer.CheckpointDirectory(outputPath)} — rerun with --resume to continue");
                        return 130;
                    }
                    var evalPart = report.FinalEvalLoss is { } evalLoss ? string.Create(CultureInfo.InvariantCulture, $" · eval loss {evalLoss:F4}") : "";
                    Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"tsuzumi pretrain: {report.Steps} steps in {report.Seconds:F0} s · {report.TokensPerSecond:F0} tok/s · train loss {report.FinalTrainLoss:F4}{evalPart} → {Path.GetFullPath(outputPath)}"));
                    return 0;
                });
            }
            catch (Exception error) when (error is ModelFormatException or TrainingDataException or FileNotFoundException or ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"tsuzumi pretrain: {error.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>One status line on stderr, redrawn in place on a terminal, every 5% otherwise.</summary>
    private sealed class ProgressBar : IProgress<PretrainingProgress>
    {
        private int lastTwentieth = -1;

        public void Report(PretrainingProgress value)
        {
            var fraction = (double)value.Step / Math.Max(1, value.TotalSteps);
            var filled = (int)(fraction * 24);
            var evalPart = value.EvalLoss is { } evalLoss ? string.Create(CultureInfo.InvariantCulture, $" eval {evalLoss:F3}") : "";
            var line = string.Create(CultureInfo.InvariantCulture,
                $"[{new string('#', filled)}{new string('.', 24 - filled)}] epoch {value.Epoch}/{value.Epochs} step {value.Step}/{value.TotalSteps} " +
                $"loss {value.Loss:F3}{evalPart} lr {value.LearningRate:E1} {value.TokensPerSecond:F0} tok/s " +
                $"elapsed {value.Elapsed:hh\\:mm\\:ss} left {value.Remaining:hh\\:mm\\:ss}");
            if (!Console.IsErrorRedirected)
            {
                Console.Error.Write("\r" + line + "\u001b[K");
                return;
            }
            var twentieth = (int)(fraction * 20);
            if (twentieth == lastTwentieth) return;
            lastTwentieth = twentieth;
            Console.Error.WriteLine(line);
        }
    }
}
