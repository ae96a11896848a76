using System.CommandLine;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Nano;
using Tsuzumi.Nano.Datasets;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>tsuzumi corpus</c>: regenerate the tsuzumi-nano corpus, QA datasets and tokenizer (deterministic for a seed).</summary>
internal static class CorpusCommand
{
    public static Command Create()
    {
        var output = new Option<string>("--out") { Description = "Folder to write data/ and tokenizer.json into", DefaultValueFactory = _ => "models/tsuzumi-nano" };
        var seed = new Option<int>("--seed") { Description = "Seed of the generator; the committed files use 42", DefaultValueFactory = _ => 42 };
        var vocabulary = new Option<int>("--vocab-size") { Description = "Tokenizer vocabulary size", DefaultValueFactory = _ => 4096 };

        var command = new Command("corpus", "Regenerate the tsuzumi-nano corpus, QA datasets and tokenizer") { output, seed, vocabulary };
        command.SetAction(parse =>
        {
            try
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                var report = NanoDataGenerator.Generate(parse.GetValue(output)!, new NanoGenerationOptions
                {
                    Seed = parse.GetValue(seed),
                    VocabularySize = parse.GetValue(vocabulary),
                });
                foreach (var file in report.Files) Console.WriteLine($"{file.Bytes,10:N0}  {file.RelativePath}");
                Console.WriteLine($"{report.Files.Sum(file => file.Bytes),10:N0}  total");
                Console.WriteLine("train pairs: " + string.Join(", ", report.TrainPairs.Select(entry => $"{entry.Key} {entry.Value}")));
                Console.WriteLine($"tokenizer: {report.VocabularySize} tokens · {report.JapaneseTokensPerCharacter:F3} tokens/char (Japanese) · " +
                    $"{report.EnglishTokensPerCharacter:F3} tokens/char (English) · {clock.Elapsed.TotalSeconds:F1} s");
                return 0;
            }
            catch (Exception error) when (error is ArgumentException or IOException or UnauthorizedAccessException or InvalidDatasetException or ModelFormatException)
            {
                Console.Error.WriteLine($"tsuzumi corpus: {error.Message}");
                return 2;
            }
        });
        return command;
    }
}
