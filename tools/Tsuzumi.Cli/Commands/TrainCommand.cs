using System.CommandLine;
using System.Globalization;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Training;
using static TorchSharp.torch;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>tsuzumi train</c>: a LoRA adapter (or, with --full, the whole model) from JSONL examples.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Base model: a .gguf file or a Hugging Face folder", Required = true };
        var data = new Option<string[]>("--data")
        {
            Description = "JSONL: {\"prompt\",\"completion\"} or {\"messages\":[…]} per line; repeat to train on several files (e.g. a domain plus general rehearsal data)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var output = new Option<string>("--out") { Description = "Output folder (adapter, or full model with --full)", Required = true };
        var rank = new Option<int>("--rank") { DefaultValueFactory = _ => 16 };
        var alpha = new Option<double>("--alpha") { DefaultValueFactory = _ => 32 };
        var targets = new Option<string>("--targets") { Description = "Comma-separated: q,k,v,o,gate,up,down (and head for lm_head)", DefaultValueFactory = _ => "q,k,v,o,gate,up,down" };
        var headUnseenIn = new Option<string[]>("--head-tokens-unseen-in")
        {
            Description = "With head among --targets: train only the head rows of answer tokens that never occur in this pretraining data " +
                          "(a folder of .txt files, a QA .jsonl or a text file; repeatable), so no other token's logit moves",
            AllowMultipleArgumentsPerToken = false,
        };
        var rehearseCorpus = new Option<string[]>("--rehearse-corpus")
        {
            Description = "Also train on windows of the base model's pretraining text (a folder of .txt files or a text file; repeatable), " +
                          "so the adapter keeps what the base knows in every domain (experience replay)",
            AllowMultipleArgumentsPerToken = false,
        };
        var rehearseWindows = new Option<int>("--rehearse-windows")
        {
            Description = $"How many {CorpusRehearsal.WindowTokens}-token windows --rehearse-corpus draws (seeded)",
            DefaultValueFactory = _ => 256,
        };
        var epochs = new Option<int>("--epochs") { DefaultValueFactory = _ => 3 };
        var learningRate = new Option<double>("--lr") { DefaultValueFactory = _ => 2e-4 };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 8 };
        var accumulate = new Option<int>("--accumulate") { Description = "Micro-batches per optimiser step", DefaultValueFactory = _ => 1 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 42 };
        var full = new Option<bool>("--full") { Description = "Fine-tune every weight instead of training a LoRA adapter" };
        var evalFraction = new Option<double>("--eval-fraction") { Description = "Share of examples held out for eval loss", DefaultValueFactory = _ => 0.1 };
        var warmup = new Option<double>("--warmup") { Description = "Share of steps warming up the learning rate", DefaultValueFactory = _ => 0.05 };
        var maxGradNorm = new Option<double>("--max-grad-norm") { DefaultValueFactory = _ => 1.0 };
        var resume = new Option<bool>("--resume") { Description = "Continue from <out>.checkpoint if present" };
        var chatTemplate = new Option<string?>("--chat-template") { Description = "For messages data (and --chat): plain, llama2, llama3, chatml or qa (default: the model's)" };
        var chat = new Option<bool>("--chat") { Description = "Render prompt/completion lines as a user and an assistant turn of the chat template, as a served specialist sees them" };

        var command = new Command("train", "Train a LoRA adapter (default) or fine-tune the whole model (--full) on JSONL examples")
        {
            model, data, output, rank, alpha, targets, headUnseenIn, rehearseCorpus, rehearseWindows, epochs, learningRate, batch, accumulate, seed, full, evalFraction, warmup, maxGradNorm, resume, chatTemplate, chat,
        };
        command.SetAction(async (parse, cancellation) =>
        {
            try
            {
                var options = new TrainingOptions
                {
                    FullFineTune = parse.GetValue(full),
                    Rank = parse.GetValue(rank),
                    Alpha = parse.GetValue(alpha),
                    Targets = parse.GetValue(targets)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(LoraTargets.Resolve).Distinct().ToArray(),
                    Epochs = parse.GetValue(epochs),
                    LearningRate = parse.GetValue(learningRate),
                    BatchSize = parse.GetValue(batch),
                    GradientAccumulation = parse.GetValue(accumulate),
                    Seed = parse.GetValue(seed),
                    EvalFraction = parse.GetValue(evalFraction),
                    WarmupFraction = parse.GetValue(warmup),
                    MaxGradientNorm = parse.GetValue(maxGradNorm),
                };
                options.Validate();
                using var loaded = PretrainedModel.Load(parse.GetValue(model)!, ScalarType.Float32);
                var template = ChatTemplate.Detect(loaded.ChatTemplate, loaded.Tokenizer, parse.GetValue(chatTemplate));
                var dataPaths = parse.GetValue(data)!;
                var dataPath = string.Join(", ", dataPaths);
                var examples = dataPaths
                    .SelectMany(path => TrainingData.Load(path, loaded.Tokenizer, template, loaded.Model.Config.MaxPositionEmbeddings, parse.GetValue(chat)))
                    .ToArray();
                if (parse.GetValue(headUnseenIn) is { Length: > 0 } pretrainingPaths)
                {
                    // Only the task's own examples decide which head rows train: rehearsal text is what pretraining saw.
                    options = options with { HeadTokens = UnseenVocabulary.Find(examples, loaded.Tokenizer, pretrainingPaths) };
                    options.Validate();
                    Console.Error.WriteLine($"tsuzumi train: the head adapter trains the rows of {options.HeadTokens.Count} answer tokens unseen in pretraining: " +
                        string.Join(" ", options.HeadTokens.Take(40).Select(token => loaded.Tokenizer.Decode([token]))) + (options.HeadTokens.Count > 40 ? " …" : ""));
                }
                if (parse.GetValue(rehearseCorpus) is { Length: > 0 } corpusPaths)
                {
                    var rehearsal = CorpusRehearsal.Sample(corpusPaths, loaded.Tokenizer, parse.GetValue(rehearseWindows), options.Seed);
                    examples = [.. examples, .. rehearsal];
                    dataPath += $", {rehearsal.Count} rehearsal windows of {string.Join(", ", corpusPaths)}";
                }
                Console.Error.WriteLine($"tsuzumi train: {(options.FullFineTune ? "full fine-tuning" : $"LoRA r={options.Rank} α={options.Alpha} on {string.Join(",", options.Targets)}")} · {examples.Length} examples · {options.Epochs} epochs");

                TrainingReport? report = null;
                await Interruptible.RunAsync("tsuzumi train", cancellation, stop =>
                {
                    report = new Trainer(loaded, options, dataPath).Train(examples, parse.GetValue(output)!, parse.GetValue(resume), new ProgressBar(), stop);
                    return 0;
                });
                Console.Error.WriteLine();
                if (!report!.Completed)
                {
                    Console.Error.WriteLine($"tsuzumi train: interrupted at step {report.Steps}; rerun with --resume to continue");
                    return 130;
                }
                var evalPart = report.FinalEvalLoss is { } evalLoss ? string.Create(CultureInfo.InvariantCulture, $" · eval loss {evalLoss:F4}") : "";
                Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"tsuzumi train: {report.Steps} steps in {report.Seconds:F1} s · {report.TokensPerSecond:F0} tok/s · train loss {report.FinalTrainLoss:F4}{evalPart} → {Path.GetFullPath(parse.GetValue(output)!)}"));
                return 0;
            }
            catch (Exception error) when (error is ModelFormatException or TrainingDataException or FileNotFoundException or ArgumentException or IOException)
            {
                Console.Error.WriteLine($"tsuzumi train: {error.Message}");
                return 2;
            }
        });
        return command;
    }

    /// <summary>One status line on stderr, redrawn in place on a terminal, every 10% otherwise.</summary>
    private sealed class ProgressBar : IProgress<TrainingProgress>
    {
        private int lastDecile = -1;

        public void Report(TrainingProgress value)
        {
            var fraction = (double)value.Step / Math.Max(1, value.TotalSteps);
            var filled = (int)(fraction * 24);
            var line = string.Create(CultureInfo.InvariantCulture,
                $"[{new string('#', filled)}{new string('.', 24 - filled)}] epoch {value.Epoch}/{value.Epochs} step {value.Step}/{value.TotalSteps} " +
                $"loss {value.Loss:F4} lr {value.LearningRate:E1} {value.TokensPerSecond:F0} tok/s left {value.Remaining:hh\\:mm\\:ss}");
            if (!Console.IsErrorRedirected)
            {
                Console.Error.Write("\r" + line);
                return;
            }
            var decile = (int)(fraction * 10);
            if (decile == lastDecile) return;
            lastDecile = decile;
            Console.Error.WriteLine(line);
        }
    }
}
