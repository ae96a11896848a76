using System.CommandLine;
using Tsuzumi.Catalog;
using Tsuzumi.Inference.Evaluation;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Model;
using static TorchSharp.torch;

namespace Tsuzumi.Cli.Commands;

/// <summary>
/// <c>tsuzumi eval</c>: score one model (optionally with LoRA adapters) on multiple-choice and key-fact QA tasks.
/// The table (or JSON with --json) goes to stdout, progress to stderr.
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "A .gguf file or a Hugging Face model folder (or use --catalog)" };
        var catalog = new Option<string?>("--catalog") { Description = "Evaluate the specialists of a constellation catalog (one row each; prompts in their base model's chat format)" };
        var specialists = new Option<string[]>("--specialist") { Description = "With --catalog: only these specialists (repeatable)", AllowMultipleArgumentsPerToken = false };
        var name = new Option<string?>("--name") { Description = "Row label in the table (default: model and adapter folder names)" };
        var adapters = new Option<string[]>("--adapter") { Description = "PEFT LoRA folder, optionally DIR:WEIGHT (repeatable; combined as weighted adapters)", AllowMultipleArgumentsPerToken = false };
        var tasks = new Option<string[]>("--task")
        {
            Description = "piqa, jcommonsenseqa, mc:FILE ({context, choices, label}), qa:FILE ({id, prompt, keyFacts}) or a .jsonl file (repeatable)",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var limit = new Option<int?>("--limit") { Description = "Evaluate only N questions per task (the first N; a seeded sample with --seed)" };
        var seed = new Option<int?>("--seed") { Description = "With --limit: sample the N questions with this seed" };
        var json = new Option<bool>("--json") { Description = "Print results as JSON instead of a table" };
        var answers = new Option<string?>("--answers") { Description = "Also write every generated QA answer to this JSONL file (contestant, task, id, hit, answer)" };
        var chat = new Option<bool>("--chat") { Description = "Wrap generative-QA prompts in the model's chat template" };
        var chatFormat = new Option<string?>("--chat-format") { Description = "With --chat: plain, llama2, llama3 or chatml instead of detecting it" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "Most tokens per generative-QA answer", DefaultValueFactory = _ => 128 };
        var addBos = new Option<bool>("--add-bos") { Description = "Prepend BOS when scoring multiple choice (lm-eval add_bos_token=True)" };
        var batchSize = new Option<int>("--batch-size") { Description = "Sequences per forward pass for multiple choice", DefaultValueFactory = _ => 8 };
        var dataDir = new Option<string?>("--data-dir") { Description = "Folder holding piqa/ and jglue/ (default: $TSUZUMI_SHARED_DIR/eval, else ../shared/eval beside the repository)" };
        var dtype = new Option<string?>("--dtype") { Description = "fp32 or bf16; default: a catalog base model's dtype (as served), else the fastest correct choice for the weights" };
        dtype.AcceptOnlyFromAmong("fp32", "bf16");

        var command = new Command("eval", "Evaluate a model: multiple choice by log-likelihood (as lm-evaluation-harness) and generative QA by key facts")
        {
            model, catalog, specialists, name, adapters, tasks, limit, seed, json, answers, chat, chatFormat, maxTokens, addBos, batchSize, dataDir, dtype,
            RoutingEvalCommand.Create(),
        };
        command.SetAction((parse, cancellation) =>
        {
            try
            {
                var evalData = parse.GetValue(dataDir) ?? DefaultEvalDataDirectory();
                var resolved = TaskCatalog.ResolveAll(parse.GetValue(tasks) ?? [], evalData, parse.GetValue(limit), parse.GetValue(seed));
                var contestants = new List<Contestant>();
                if (parse.GetValue(model) is { } modelPath)
                    contestants.Add(Contestant.ForModel(modelPath, (parse.GetValue(adapters) ?? []).Select(AdapterSpec.Parse).ToArray(), parse.GetValue(name)));
                if (parse.GetValue(catalog) is { } catalogPath)
                    contestants.AddRange(CatalogContestants(catalogPath, parse.GetValue(specialists) ?? []));
                if (contestants.Count == 0) throw new ArgumentException("give --model or --catalog");
                var options = new EvaluationOptions
                {
                    AddBos = parse.GetValue(addBos),
                    BatchSize = parse.GetValue(batchSize),
                    MaxNewTokens = parse.GetValue(maxTokens),
                    Chat = parse.GetValue(chat) || parse.GetValue(catalog) is not null,
                    ChatFormat = parse.GetValue(chatFormat),
                };
                if (options.BatchSize < 1) throw new ArgumentException("--batch-size must be ≥ 1");
                if (options.MaxNewTokens < 1) throw new ArgumentException("--max-tokens must be ≥ 1");
                var table = EvaluationHarness.Run(contestants, resolved, options, parse.GetValue(dtype) switch
                {
                    "fp32" => ScalarType.Float32,
                    "bf16" => ScalarType.BFloat16,
                    _ => null,
                }, line => Console.Error.WriteLine(line), cancellation);
                Console.Out.Write(parse.GetValue(json) ? table.ToJson() + Environment.NewLine : table.ToText());
                if (parse.GetValue(answers) is { } answersPath) File.WriteAllText(answersPath, table.ToAnswersJsonLines());
                return Task.FromResult(0);
            }
            catch (Exception error) when (error is EvaluationDataException or ModelFormatException or FileNotFoundException or CatalogException
                                              or ArgumentException or ContextWindowExceededException)
            {
                Console.Error.WriteLine($"tsuzumi eval: {error.Message}");
                return Task.FromResult(2);
            }
        });
        return command;
    }

    /// <summary>One contestant per catalog specialist: its base model, its weighted adapters and the base model's chat format.</summary>
    private static IEnumerable<Contestant> CatalogContestants(string catalogPath, IReadOnlyCollection<string> only)
    {
        var loaded = CatalogLoader.Load(catalogPath);
        foreach (var problem in loaded.Problems) Console.Error.WriteLine($"tsuzumi eval: catalog: {problem}");
        var unknown = only.Where(id => loaded.Catalog.FindSpecialist(id) is null).ToArray();
        if (unknown.Length > 0) throw new ArgumentException($"the catalog has no specialist {string.Join(", ", unknown)}");
        foreach (var specialist in loaded.Catalog.Specialists.Where(specialist => only.Count == 0 || only.Contains(specialist.Id)))
        {
            var baseModel = loaded.Catalog.FindBaseModel(specialist.BaseModel)!;
            yield return new Contestant(specialist.Id, baseModel.Path, specialist.Adapters.Select(adapter => new AdapterSpec(adapter.Path, adapter.Weight)).ToArray())
            {
                ChatFormat = baseModel.ChatTemplate,
                // Evaluated in the precision the silo serves it in.
                DType = baseModel.DType switch { "bf16" => ScalarType.BFloat16, "f32" => ScalarType.Float32, _ => null },
            };
        }
    }

    /// <summary>$TSUZUMI_SHARED_DIR/eval, else shared/eval beside the repository that holds this program.</summary>
    private static string DefaultEvalDataDirectory()
    {
        if (Environment.GetEnvironmentVariable("TSUZUMI_SHARED_DIR") is { Length: > 0 } shared) return Path.Combine(shared, "eval");
        foreach (var start in new[] { AppContext.BaseDirectory, Environment.CurrentDirectory })
        {
            for (var directory = new DirectoryInfo(start); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "Tsuzumi.Constellation.sln")))
                    return Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "eval"));
            }
        }
        return Path.GetFullPath(Path.Combine("..", "shared", "eval"));
    }
}
