using System.Text.Json;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Training;
using Tsuzumi.Testing;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Training;

/// <summary>Trains one adapter on 20 question/answer facts (English and Japanese) for the whole class.</summary>
public sealed class StoriesFactsAdapterFixture : IDisposable
{
    public StoriesFactsAdapterFixture()
    {
        ModelPath = RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf");
        DataPath = Path.Combine(RepositoryPaths.Root, "tests/Tsuzumi.Inference.Tests/Training/Data/stories-facts.jsonl");
        Facts = File.ReadLines(DataPath).Select(line => JsonDocument.Parse(line).RootElement)
            .Select(fact => (fact.GetProperty("prompt").GetString()!, fact.GetProperty("completion").GetString()!.Trim())).ToArray();
        AdapterDirectory = Path.Combine(Directory.CreateTempSubdirectory("tsuzumi-facts-").FullName, "facts");
        Model = PretrainedModel.Load(ModelPath, ScalarType.Float32);
        var examples = TrainingData.Load(DataPath, Model.Tokenizer, ChatTemplate.For(ChatFormat.Plain), Model.Model.Config.MaxPositionEmbeddings);
        // stories260K never learned to emit Japanese bytes or EOS: its head rows for them are tiny, so lm_head is adapted too.
        var options = new TrainingOptions
        {
            Rank = 32, Alpha = 64, Epochs = 150, BatchSize = 4, LearningRate = 5e-3, EvalFraction = 0, Seed = 42,
            Targets = [.. LoraTargets.Layers, LoraTargets.Head],
        };
        Report = new Trainer(Model, options, DataPath).Train(examples, AdapterDirectory, resume: false);
    }

    public string ModelPath { get; }
    public string DataPath { get; }
    public string AdapterDirectory { get; }
    public PretrainedModel Model { get; }
    public TrainingReport Report { get; }
    public (string Prompt, string Answer)[] Facts { get; }

    public void Dispose()
    {
        Model.Dispose();
        Directory.Delete(Path.GetDirectoryName(AdapterDirectory)!, recursive: true);
    }
}

/// <summary>The demonstration: a LoRA adapter teaches stories260K facts the base model does not know.</summary>
public sealed class StoriesFactsAdapterTests(StoriesFactsAdapterFixture fixture) : IClassFixture<StoriesFactsAdapterFixture>
{
    [Fact]
    public void The_adapter_reproduces_at_least_90_percent_of_the_answers_and_the_base_none()
    {
        using var adapter = PeftAdapterFormat.Load(fixture.AdapterDirectory, fixture.Model.Model.Config);
        using var adapters = new AdapterBatch([[new WeightedAdapter(adapter)]], ScalarType.Float32);

        var withAdapter = fixture.Facts.Count(fact => Answer(fact.Prompt, adapters) == fact.Answer);
        var withoutAdapter = fixture.Facts.Count(fact => Answer(fact.Prompt, null) == fact.Answer);

        Assert.True(withAdapter >= 18, $"the adapter answered {withAdapter} of {fixture.Facts.Length} exactly");
        Assert.Equal(0, withoutAdapter);
        Assert.True(fixture.Report.FinalTrainLoss < fixture.Report.TrainLoss[0].Loss / 10);
    }

    [Fact]
    public async Task A_fresh_process_loading_the_saved_adapter_generates_identical_text()
    {
        using var adapter = PeftAdapterFormat.Load(fixture.AdapterDirectory, fixture.Model.Model.Config);
        using var adapters = new AdapterBatch([[new WeightedAdapter(adapter)]], ScalarType.Float32);
        foreach (var (prompt, _) in fixture.Facts.Where((_, index) => index % 7 == 0))
        {
            var inProcess = Answer(prompt, adapters);
            var run = await TsuzumiProcess.RunAsync(["generate", "--model", fixture.ModelPath, "--adapter", fixture.AdapterDirectory,
                "--prompt", prompt, "--max-tokens", "60", "--temperature", "0", "--stop", "\n"], TestContext.Current.CancellationToken);

            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Equal(inProcess, run.Stdout.Trim());
        }
    }

    private string Answer(string prompt, AdapterBatch? adapters)
    {
        var generator = new TextGenerator(fixture.Model.Model, fixture.Model.Tokenizer, adapters);
        var request = new GenerationRequest(fixture.Model.Tokenizer.Encode(prompt), 60, SamplingOptions.Greedy) { StopStrings = ["\n"] };
        return generator.Generate(request, TestContext.Current.CancellationToken).Text.Trim();
    }
}
