using Tsuzumi.Inference.Evaluation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Evaluation;

/// <summary>End to end on a real model no one here trained: the numbers are not judged, only that they are sane and repeat.</summary>
public sealed class Stories260KEvaluationTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-eval-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static (PretrainedModel Loaded, EvaluationSubject Subject) Load()
    {
        var loaded = PretrainedModel.Load(RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf"));
        return (loaded, new EvaluationSubject(loaded.Model, loaded.Tokenizer, loaded.ChatTemplate, []));
    }

    [Fact]
    public void Fifty_piqa_questions_complete_with_accuracies_in_range_and_repeat_exactly()
    {
        var evalData = Path.GetDirectoryName(Path.GetDirectoryName(RepositoryPaths.RequireSharedFile("eval/piqa/valid.jsonl")))!;
        var task = TaskCatalog.Resolve("piqa", evalData, limit: 50);
        var (loaded, subject) = Load();
        using var _ = loaded;

        var first = (MultipleChoiceResult)task.Run(subject, new EvaluationOptions(), cancellation: TestContext.Current.CancellationToken);
        var second = (MultipleChoiceResult)task.Run(subject, new EvaluationOptions { BatchSize = 3 }, cancellation: TestContext.Current.CancellationToken);

        Assert.Equal(50, first.QuestionCount);
        Assert.InRange(first.Metric("acc").Value, 0, 1);
        Assert.InRange(first.Metric("acc_norm").Value, 0, 1);
        Assert.InRange(first.Metric("acc").StandardError, 0.01, 0.08); // √(p(1−p)/49) for any p away from 0 and 1
        Assert.All(first.Outcomes.SelectMany(outcome => outcome.Choices), choice => Assert.True(choice.LogProbability < 0 && choice.TokenCount > 0));
        Assert.Equal(first.Outcomes.Select(outcome => (outcome.Predicted, outcome.PredictedNormalised)), second.Outcomes.Select(outcome => (outcome.Predicted, outcome.PredictedNormalised)));
        for (var i = 0; i < first.Outcomes.Count; i++)
        {
            for (var c = 0; c < 2; c++) Assert.Equal(first.Outcomes[i].Choices[c].LogProbability, second.Outcomes[i].Choices[c].LogProbability, 1e-4);
        }
    }

    [Fact]
    public void Greedy_answers_are_checked_against_key_facts_from_llama2c_reference_output()
    {
        // From BOS alone, greedy stories260K writes llama2.c's reference text; its opening is a fact the answer must hold.
        var reference = File.ReadAllText(RepositoryPaths.RequireSharedFile("models/stories260K/expected/llama2c_test_all_expected_stdout.txt"));
        var opening = reference[..reference.IndexOf('.')]; // "Once upon a time, there was a little girl named Lily"
        var path = Path.Combine(folder, "stories.jsonl");
        File.WriteAllLines(path,
        [
            $$"""{"id": "known", "prompt": "", "keyFacts": ["{{opening.ToUpperInvariant()}}", "lily"]}""",
            """{"id": "absent", "prompt": "", "keyFacts": ["lily", "a purple dragon"]}""",
        ]);
        var task = TaskCatalog.Resolve("qa:" + path, folder);
        var (loaded, subject) = Load();
        using var _ = loaded;

        var result = (GenerativeQaResult)task.Run(subject, new EvaluationOptions { MaxNewTokens = 40, Chat = true }, cancellation: TestContext.Current.CancellationToken);

        Assert.StartsWith(opening, result.Outcomes[0].Answer);
        Assert.True(result.Outcomes[0].IsHit);
        Assert.Equal([true, false], result.Outcomes[1].FactsFound);
        Assert.Equal(0.5, result.Metric("hit").Value);
        Assert.Equal(0.75, result.Metric("facts").Value);
    }

    [Fact]
    public void The_harness_loads_a_contestant_by_path_and_labels_its_row()
    {
        var model = RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
        var path = Path.Combine(folder, "mc.jsonl");
        File.WriteAllLines(path, ["""{"context": "Once upon a time, there was a little", "choices": [" girl", " xylophone"], "label": 0}"""]);
        var lines = new List<string>();

        var table = EvaluationHarness.Run([Contestant.ForModel(model)], [TaskCatalog.Resolve(path, folder)], new EvaluationOptions(),
            log: lines.Add, cancellation: TestContext.Current.CancellationToken);

        var row = Assert.Single(table.Rows);
        Assert.Equal("stories260K", row.Contestant.Name);
        Assert.Equal(1, row.Tasks.Single().Metric("acc").Value); // the story model knows "little girl"
        Assert.Contains(lines, line => line.EndsWith("mc · 1/1", StringComparison.Ordinal));
        Assert.Contains(lines, line => line.EndsWith("in Float32", StringComparison.Ordinal)); // F32 weights: fp32

        // A catalog contestant carries the precision it is served in; a run-wide one overrides it.
        lines.Clear();
        EvaluationHarness.Run([Contestant.ForModel(model) with { DType = TorchSharp.torch.ScalarType.BFloat16 }], [TaskCatalog.Resolve(path, folder)],
            new EvaluationOptions(), log: lines.Add, cancellation: TestContext.Current.CancellationToken);
        Assert.Contains(lines, line => line.EndsWith("in BFloat16", StringComparison.Ordinal));
        lines.Clear();
        EvaluationHarness.Run([Contestant.ForModel(model) with { DType = TorchSharp.torch.ScalarType.BFloat16 }], [TaskCatalog.Resolve(path, folder)],
            new EvaluationOptions(), TorchSharp.torch.ScalarType.Float32, lines.Add, TestContext.Current.CancellationToken);
        Assert.Contains(lines, line => line.EndsWith("in Float32", StringComparison.Ordinal));

        var missing = Contestant.ForModel(model, [new AdapterSpec(Path.Combine(folder, "no-adapter"))]);
        Assert.Throws<Tsuzumi.Inference.Formats.ModelFormatException>(() =>
            EvaluationHarness.Run([missing], [TaskCatalog.Resolve(path, folder)], new EvaluationOptions(), cancellation: TestContext.Current.CancellationToken));
    }
}
