using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Nano.Datasets;
using Tsuzumi.Nano.Tokenization;
using Tsuzumi.Testing;

namespace Tsuzumi.Nano.Tests;

/// <summary>The files under models/tsuzumi-nano are exactly what <c>tsuzumi corpus</c> writes, and they are usable.</summary>
public sealed class CommittedFilesTests(ITestOutputHelper output)
{
    private static readonly string Committed = Path.Combine(RepositoryPaths.Root, "models", "tsuzumi-nano");

    [Fact]
    public void Regenerating_with_the_default_seed_reproduces_the_committed_files_byte_for_byte()
    {
        var folder = Directory.CreateTempSubdirectory("tsuzumi-nano-regen-").FullName;
        try
        {
            var report = NanoDataGenerator.Generate(folder);
            foreach (var file in report.Files)
            {
                var committed = Path.Combine(Committed, file.RelativePath);
                Assert.True(File.Exists(committed), $"{file.RelativePath} is not committed; run ./tsuzumi corpus");
                var hash = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(committed)));
                Assert.True(hash == file.Sha256, $"{file.RelativePath} differs from the generator's output; run ./tsuzumi corpus");
            }
            Assert.True(report.Files.Sum(file => file.Bytes) < 3_000_000, "the committed data must stay small");
            Assert.All(report.TrainPairs.Values, count => Assert.True(count >= 150));
            output.WriteLine($"Japanese {report.JapaneseTokensPerCharacter:F3} tokens/char, English {report.EnglishTokensPerCharacter:F3} tokens/char");
        }
        finally { Directory.Delete(folder, recursive: true); }
    }

    [Fact]
    public void The_committed_datasets_validate()
    {
        Assert.Empty(NanoDatasets.Validate(Path.Combine(Committed, "data", "qa")));
    }

    [Fact]
    public void The_committed_tokenizer_round_trips_the_data_and_compresses_Japanese_far_below_byte_fallback()
    {
        var tokenizer = TokenizerJson.Load(Path.Combine(Committed, NanoTokenizerFiles.TokenizerFile));
        Assert.Equal(4096, tokenizer.VocabularySize);
        var lines = File.ReadLines(Path.Combine(Committed, "data", "corpus", "medical.txt")).Where(line => line.Length > 0).Take(400)
            .Concat(File.ReadLines(Path.Combine(Committed, "data", "qa", "org-acme", "heldout.jsonl")))
            .ToArray();
        foreach (var line in lines) Assert.Equal(line, tokenizer.Decode(tokenizer.Encode(line, addSpecialTokens: false)));

        var japanese = TokenizerStatistics.TokensPerCharacter(tokenizer, lines.Where(TokenizerStatistics.IsJapanese));
        output.WriteLine($"Japanese: {japanese:F3} tokens per character (pure byte fallback: 3)");
        Assert.InRange(japanese, 0.05, 1.0);
    }
}
