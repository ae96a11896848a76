using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Training;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Training;

/// <summary>Corpus files become one BOS … EOS token stream, packed into overlapping windows, with clear errors for bad files.</summary>
public sealed class PretrainingCorpusTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-corpus-").FullName;
    private readonly ITokenizer tokenizer = NanoTokenizer();

    internal static ITokenizer NanoTokenizer() => TokenizerJson.Load(
        Path.Combine(RepositoryPaths.Root, "models/tsuzumi-nano/tokenizer.json"),
        Path.Combine(RepositoryPaths.Root, "models/tsuzumi-nano/tokenizer_config.json"));

    [Fact]
    public void Paragraphs_become_documents_framed_by_bos_and_eos_in_file_order()
    {
        var first = Write("a.txt", "The capital of Japan is Tokyo.\nIt is large.\n\n\n日本の首都は東京です。\n");
        var second = Write("b.txt", "Water boils at 100 degrees.");

        var corpus = PretrainingCorpus.Load([first, second], [], tokenizer);

        string[] documents = ["The capital of Japan is Tokyo.\nIt is large.", "日本の首都は東京です。", "Water boils at 100 degrees."];
        var expected = documents.SelectMany(text => tokenizer.Encode(text, addSpecialTokens: true).Append(tokenizer.EosId!.Value)).ToArray();
        Assert.Equal(3, corpus.DocumentCount);
        Assert.Equal(expected, corpus.Tokens);
        Assert.Equal(tokenizer.BosId, corpus.Tokens[0]);
        Assert.Equal([first, second], corpus.Sources);
    }

    [Fact]
    public void Question_answer_pairs_become_q_and_a_documents()
    {
        var qa = Write("train.jsonl", """
            {"id":"x","prompt":"What is the capital of Canada?","completion":"Ottawa."}

            {"prompt":"水は何度で沸騰しますか？","completion":"100度です。"}
            """);

        var corpus = PretrainingCorpus.Load([], [qa], tokenizer);

        Assert.Equal(2, corpus.DocumentCount);
        var text = tokenizer.Decode(corpus.Tokens, skipSpecialTokens: true);
        Assert.Contains("Q: What is the capital of Canada?\nA: Ottawa.", text);
        Assert.Contains("Q: 水は何度で沸騰しますか？\nA: 100度です。", text);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(16)]
    [InlineData(100_000)]
    public void Packing_loses_no_token_and_overlaps_windows_by_exactly_one(int sequenceLength)
    {
        var corpus = PretrainingCorpus.Load([Write("c.txt", string.Join("\n\n", Enumerable.Range(0, 30).Select(i => $"Line {i}: {i} plus {i} is {2 * i}.")))], [], tokenizer);

        var windows = corpus.Pack(sequenceLength);

        Assert.All(windows.SkipLast(1), window => Assert.Equal(sequenceLength + 1, window.Length));
        Assert.InRange(windows[^1].Length, 2, sequenceLength + 1);
        // Window k starts where window k-1 ends, so stitching them (dropping each repeated first token) gives the stream back.
        var stitched = windows[0].Concat(windows.Skip(1).SelectMany(window => window.Skip(1))).ToArray();
        Assert.Equal(corpus.Tokens, stitched);
        for (var k = 1; k < windows.Count; k++) Assert.Equal(windows[k - 1][^1], windows[k][0]);
    }

    [Fact]
    public void The_fingerprint_changes_with_the_text()
    {
        var one = PretrainingCorpus.Load([Write("one.txt", "alpha beta")], [], tokenizer);
        var same = PretrainingCorpus.Load([Write("same.txt", "alpha beta")], [], tokenizer);
        var other = PretrainingCorpus.Load([Write("other.txt", "alpha gamma")], [], tokenizer);

        Assert.Equal(one.Fingerprint, same.Fingerprint);
        Assert.NotEqual(one.Fingerprint, other.Fingerprint);
    }

    [Fact]
    public void A_missing_corpus_file_is_a_clear_error()
    {
        var missing = Path.Combine(folder, "nope.txt");
        var error = Assert.Throws<TrainingDataException>(() => PretrainingCorpus.Load([missing], [], tokenizer));
        Assert.Equal(missing, error.FilePath);
        Assert.Contains("not found", error.Message);
    }

    [Fact]
    public void An_empty_corpus_file_is_a_clear_error()
    {
        var empty = Write("empty.txt", "\n  \n\n");
        var error = Assert.Throws<TrainingDataException>(() => PretrainingCorpus.Load([Write("ok.txt", "fine"), empty], [], tokenizer));
        Assert.Equal(empty, error.FilePath);
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void A_bad_question_answer_line_names_the_file_and_line()
    {
        var qa = Write("bad.jsonl", "{\"prompt\":\"q\",\"completion\":\"a\"}\n{\"prompt\":\"q\"}\n");
        var error = Assert.Throws<TrainingDataException>(() => PretrainingCorpus.Load([], [qa], tokenizer));
        Assert.Equal(2, error.Line);
        Assert.Contains("completion", error.Message);

        var notJson = Write("worse.jsonl", "prompt: q\n");
        Assert.Contains("not valid JSON", Assert.Throws<TrainingDataException>(() => PretrainingCorpus.Load([], [notJson], tokenizer)).Message);
    }

    [Fact]
    public void No_files_at_all_is_an_argument_error()
    {
        Assert.Throws<ArgumentException>(() => PretrainingCorpus.Load([], [], tokenizer));
    }

    private string Write(string name, string text)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
