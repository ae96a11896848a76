using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Training;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Training;

/// <summary>Rehearsal windows come from the pretraining stream as pretraining cut it, seeded, with clear errors for bad paths.</summary>
public sealed class CorpusRehearsalTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-rehearsal-").FullName;
    private readonly ITokenizer tokenizer = PretrainingCorpusTests.NanoTokenizer();

    [Fact]
    public void Windows_are_pretraining_windows_drawn_by_the_seed_and_trained_on_every_token_after_the_first()
    {
        var corpusFolder = Path.Combine(RepositoryPaths.Root, "models/tsuzumi-nano/data/corpus");
        var files = Directory.GetFiles(corpusFolder, "*.txt").Order(StringComparer.Ordinal).ToArray();
        var windows = PretrainingCorpus.Load(files, [], tokenizer).Pack(CorpusRehearsal.WindowTokens);

        var drawn = CorpusRehearsal.Sample([corpusFolder], tokenizer, windows: 50, seed: 42);

        Assert.Equal(50, drawn.Count);
        Assert.All(drawn, example => Assert.Contains(windows, window => window.SequenceEqual(example.Tokens)));
        Assert.All(drawn, example => Assert.Equal(example.Tokens.Select((_, position) => position > 0), example.LossMask));
        Assert.Equal(50, drawn.Select(example => string.Join(",", example.Tokens)).Distinct().Count());
        // The same seed draws the same windows; another seed others.
        Assert.Equal(drawn.Select(example => example.Tokens), CorpusRehearsal.Sample([corpusFolder], tokenizer, 50, 42).Select(example => example.Tokens));
        Assert.NotEqual(drawn.Select(example => example.Tokens), CorpusRehearsal.Sample([corpusFolder], tokenizer, 50, 7).Select(example => example.Tokens));
    }

    [Fact]
    public void Asking_for_more_windows_than_the_corpus_has_gives_all_of_them()
    {
        var file = Path.Combine(folder, "small.txt");
        File.WriteAllText(file, "The capital of Japan is Tokyo.\n\n日本の首都は東京です。\n");

        var drawn = CorpusRehearsal.Sample([file], tokenizer, windows: 1000, seed: 1);

        Assert.Equal(PretrainingCorpus.Load([file], [], tokenizer).Pack(CorpusRehearsal.WindowTokens).Count, drawn.Count);
    }

    [Fact]
    public void A_missing_file_or_a_folder_without_text_is_named_in_the_error()
    {
        var missing = Path.Combine(folder, "nope.txt");
        Assert.Equal(missing, Assert.Throws<TrainingDataException>(() => CorpusRehearsal.Sample([missing], tokenizer, 10, 1)).FilePath);
        var empty = Directory.CreateDirectory(Path.Combine(folder, "empty")).FullName;
        Assert.Contains("no *.txt", Assert.Throws<TrainingDataException>(() => CorpusRehearsal.Sample([empty], tokenizer, 10, 1)).Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => CorpusRehearsal.Sample([empty], tokenizer, 0, 1));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
