using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Nano.Corpus;
using Tsuzumi.Nano.Datasets;
using Tsuzumi.Nano.Facts;
using Tsuzumi.Nano.Tokenization;

namespace Tsuzumi.Nano;

/// <summary>What to generate. The defaults produce the committed files under <c>models/tsuzumi-nano</c>.</summary>
public sealed record NanoGenerationOptions
{
    public int Seed { get; init; } = 42;

    public int VocabularySize { get; init; } = 4096;

    /// <summary>Approximate corpus bytes per base domain.</summary>
    public IReadOnlyDictionary<string, int> CorpusBytes { get; init; } = new Dictionary<string, int>
    {
        [NanoDomain.General] = 560_000,
        [NanoDomain.Finance] = 420_000,
        [NanoDomain.Medical] = 420_000,
    };
}

/// <summary>One written file, relative to the output folder, with '/' separators.</summary>
public sealed record GeneratedFile(string RelativePath, long Bytes, string Sha256);

/// <summary>What <see cref="NanoDataGenerator.Generate"/> wrote, and how well the tokenizer compresses Japanese.</summary>
public sealed record NanoGenerationReport(IReadOnlyList<GeneratedFile> Files, IReadOnlyDictionary<string, int> TrainPairs, int VocabularySize,
    double JapaneseTokensPerCharacter, double EnglishTokensPerCharacter);

/// <summary>
/// Regenerates the tsuzumi-nano data and tokenizer into a folder: <c>data/corpus/*.txt</c> (base corpus, no org-acme),
/// <c>data/qa/&lt;domain&gt;/{train,heldout,mc}.jsonl</c>, <c>data/manifest.json</c>, <c>tokenizer.json</c> and
/// <c>tokenizer_config.json</c>. The same options give the same bytes.
/// </summary>
public static class NanoDataGenerator
{
    public const string ManifestPath = "data/manifest.json";

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    /// <exception cref="InvalidDatasetException">The generated QA data fails validation (a bug in the fact tables).</exception>
    public static NanoGenerationReport Generate(string outputDirectory, NanoGenerationOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(outputDirectory);
        options ??= new NanoGenerationOptions();
        var inconsistencies = FactTables.FindInconsistencies(FactTables.All).Concat(TrainingParaphrases.FindInconsistencies()).ToList();
        if (inconsistencies.Count > 0) throw new InvalidOperationException("inconsistent fact tables:\n" + string.Join("\n", inconsistencies));

        var written = new List<GeneratedFile>();
        var tokenizerTexts = new List<string>();

        var corpus = new CorpusGenerator(options.Seed);
        foreach (var domain in NanoDomain.Base)
        {
            var text = corpus.Generate(domain, options.CorpusBytes.TryGetValue(domain, out var bytes) ? bytes : 400_000);
            written.Add(WriteFile(outputDirectory, $"data/corpus/{domain}.txt", text));
            tokenizerTexts.Add(text);
        }

        var qa = new QaDatasetBuilder(options.Seed);
        var trainPairs = new Dictionary<string, int>();
        foreach (var domain in NanoDomain.All)
        {
            var dataset = qa.Build(domain);
            trainPairs[domain] = dataset.Train.Count;
            written.Add(WriteFile(outputDirectory, $"data/qa/{domain}/{NanoDatasets.TrainFile}", JsonLines.Train(dataset.Train)));
            written.Add(WriteFile(outputDirectory, $"data/qa/{domain}/{NanoDatasets.HeldOutFile}", JsonLines.HeldOut(dataset.HeldOut)));
            written.Add(WriteFile(outputDirectory, $"data/qa/{domain}/{NanoDatasets.MultipleChoiceFile}", JsonLines.MultipleChoice(dataset.MultipleChoice)));
            // The tokenizer sees every text the models will see, org-acme included: a vocabulary entry teaches no fact.
            tokenizerTexts.AddRange(dataset.Train.Where(pair => !pair.IsParaphrase).SelectMany(pair => new[] { pair.Prompt, pair.Completion }));
            tokenizerTexts.AddRange(dataset.HeldOut.Select(question => question.Prompt));
            tokenizerTexts.AddRange(dataset.MultipleChoice.SelectMany(item => item.Choices));
        }
        NanoDatasets.EnsureValid(Path.Combine(outputDirectory, "data", "qa"));

        var bpe = BpeTrainer.Train(tokenizerTexts, new BpeTrainingOptions(options.VocabularySize));
        written.Add(WriteFile(outputDirectory, NanoTokenizerFiles.TokenizerFile, NanoTokenizerFiles.TokenizerJsonText(bpe)));
        written.Add(WriteFile(outputDirectory, NanoTokenizerFiles.ConfigFile, NanoTokenizerFiles.ConfigJsonText()));

        written.Add(WriteFile(outputDirectory, ManifestPath, Manifest(options, bpe, trainPairs, written)));

        var tokenizer = TokenizerJson.Load(Path.Combine(outputDirectory, NanoTokenizerFiles.TokenizerFile));
        var sample = tokenizerTexts.SelectMany(text => text.Split('\n')).Where(line => line.Length > 0).Distinct(StringComparer.Ordinal).ToArray();
        return new NanoGenerationReport(written, trainPairs, bpe.Vocabulary.Count,
            TokenizerStatistics.TokensPerCharacter(tokenizer, sample.Where(TokenizerStatistics.IsJapanese)),
            TokenizerStatistics.TokensPerCharacter(tokenizer, sample.Where(line => !TokenizerStatistics.IsJapanese(line))));
    }

    private static GeneratedFile WriteFile(string root, string relativePath, string text)
    {
        var path = Path.Combine(root, relativePath.Replace('/', Path.DirectorySeparatorChar));
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var bytes = Utf8.GetBytes(text);
        File.WriteAllBytes(path, bytes);
        return new GeneratedFile(relativePath, bytes.Length, Convert.ToHexStringLower(SHA256.HashData(bytes)));
    }

    private static string Manifest(NanoGenerationOptions options, TrainedBpe bpe, Dictionary<string, int> trainPairs, List<GeneratedFile> files)
    {
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, JsonLines.WriterOptions with { Indented = true, NewLine = "\n" }))
        {
            writer.WriteStartObject();
            writer.WriteString("generator", "tsuzumi corpus");
            writer.WriteNumber("seed", options.Seed);
            writer.WriteNumber("vocabularySize", bpe.Vocabulary.Count);
            writer.WriteNumber("merges", bpe.Merges.Count);
            writer.WriteStartObject("trainPairs");
            foreach (var (domain, count) in trainPairs) writer.WriteNumber(domain, count);
            writer.WriteEndObject();
            writer.WriteStartArray("files");
            foreach (var file in files)
            {
                writer.WriteStartObject();
                writer.WriteString("path", file.RelativePath);
                writer.WriteNumber("bytes", file.Bytes);
                writer.WriteString("sha256", file.Sha256);
                writer.WriteEndObject();
            }
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
