using System.Text.Json;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Training;
using Tsuzumi.Testing;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Training;

/// <summary>Pretraining a tiny Llama (≈ 0.2M weights, mostly the 4096-token embedding) for a few seconds on a small corpus.</summary>
public sealed class PretrainerTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-pretrain-").FullName;
    private readonly string tokenizerPath = Path.Combine(RepositoryPaths.Root, "models/tsuzumi-nano/tokenizer.json");
    private readonly ITokenizer tokenizer = PretrainingCorpusTests.NanoTokenizer();
    private readonly PretrainingCorpus corpus;

    private static readonly PretrainingOptions Tiny = new()
    {
        HiddenSize = 32, IntermediateSize = 64, Layers = 2, AttentionHeads = 4, KeyValueHeads = 2, ContextLength = 32,
        Epochs = 3, BatchSize = 4, LearningRate = 1e-2, WarmupFraction = 0.1, EvalFraction = 0.1, EvalEvery = 5, CheckpointEvery = 4, Seed = 7,
    };

    public PretrainerTests()
    {
        string[] countries = ["Japan", "France", "Canada", "Italy", "Spain", "Egypt", "Kenya", "Peru"];
        string[] capitals = ["Tokyo", "Paris", "Ottawa", "Rome", "Madrid", "Cairo", "Nairobi", "Lima"];
        var paragraphs = Enumerable.Range(0, 48).Select(i =>
            $"The capital of {countries[i % 8]} is {capitals[i % 8]}.\n{i % 9} plus {i % 7} is {i % 9 + i % 7}.");
        var text = Path.Combine(folder, "corpus.txt");
        File.WriteAllText(text, string.Join("\n\n", paragraphs));
        corpus = PretrainingCorpus.Load([text], [], tokenizer);
    }

    [Fact]
    public void A_tiny_model_pretrains_its_loss_falls_and_the_report_and_curve_are_written()
    {
        var (output, report) = Pretrain(Tiny, "tiny");

        Assert.True(report.Completed);
        Assert.Equal(report.TotalSteps, report.Steps);
        Assert.Equal(report.Steps, report.TrainLoss.Count);
        Assert.Equal(Tiny.Epochs * ((report.TrainSequences + Tiny.BatchSize - 1) / Tiny.BatchSize), report.Steps);
        Assert.InRange(report.TrainLoss[0].Loss, 7.5, 9.0); // ≈ ln 4096 = 8.3 from N(0, 0.02) weights
        Assert.True(report.FinalTrainLoss < report.TrainLoss[0].Loss - 3, $"loss {report.TrainLoss[0].Loss:F2} → {report.FinalTrainLoss:F2}");
        Assert.NotNull(report.FinalEvalLoss);
        Assert.True(report.EvalLoss[^1].Loss < report.EvalLoss[0].Loss, "eval loss falls too");
        Assert.Equal(Tiny.ParameterCount(tokenizer.VocabularySize), report.Parameters);

        using var saved = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, Pretrainer.ReportFileName)));
        Assert.Equal("pretrain", saved.RootElement.GetProperty("Mode").GetString());
        Assert.Equal(corpus.Fingerprint, saved.RootElement.GetProperty("CorpusFingerprint").GetString());
        Assert.StartsWith("<svg", File.ReadAllText(Path.Combine(output, Pretrainer.CurveFileName)));
        Assert.False(Directory.Exists(Pretrainer.CheckpointDirectory(output)), "a finished run removes its checkpoint");
    }

    [Fact]
    public void The_same_seed_gives_identical_weights_and_another_seed_does_not()
    {
        var options = Tiny with { Epochs = 1 };
        var first = Pretrain(options, "first");
        var second = Pretrain(options, "second");
        var reseeded = Pretrain(options with { Seed = 8 }, "reseeded");

        Assert.Equal(Weights(first.Output), Weights(second.Output));
        Assert.Equal(first.Report.TrainLoss, second.Report.TrainLoss);
        Assert.NotEqual(Weights(first.Output), Weights(reseeded.Output));
    }

    [Fact]
    public void Cancelling_then_resuming_ends_exactly_where_an_uninterrupted_run_does()
    {
        var whole = Pretrain(Tiny, "whole");

        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var stopAfterSix = new StepProgress(step => { if (step == 6) cancellation.Cancel(); });
        var interrupted = Pretrain(Tiny, "pieces", stopAfterSix, cancellation.Token);
        Assert.False(interrupted.Report.Completed);
        Assert.Equal(6, interrupted.Report.Steps);
        Assert.False(Directory.Exists(interrupted.Output), "an interrupted run writes no model");
        Assert.True(Directory.Exists(Pretrainer.CheckpointDirectory(interrupted.Output)));

        var resumed = Pretrain(Tiny, "pieces", resume: true);
        Assert.True(resumed.Report.Completed);
        Assert.Equal(whole.Report.TrainLoss, resumed.Report.TrainLoss);
        Assert.Equal(whole.Report.EvalLoss, resumed.Report.EvalLoss);
        Assert.Equal(Weights(whole.Output), Weights(resumed.Output));
    }

    [Fact]
    public void Resuming_with_other_options_is_refused()
    {
        using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        Pretrain(Tiny, "changed", new StepProgress(step => { if (step == 2) cancellation.Cancel(); }), cancellation.Token);

        var error = Assert.Throws<ArgumentException>(() => Pretrain(Tiny with { LearningRate = 5e-3 }, "changed", resume: true));
        Assert.Contains("other options", error.Message);
    }

    [Fact]
    public void The_saved_folder_loads_generates_and_keeps_the_files_already_there()
    {
        var output = Path.Combine(folder, "nano");
        Directory.CreateDirectory(Path.Combine(output, "data"));
        File.WriteAllText(Path.Combine(output, "data", "keep.txt"), "data written earlier");
        File.WriteAllText(Path.Combine(output, "README.md"), "# readme");
        // As for tsuzumi-nano itself: the tokenizer lives in the folder the model is written into.
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(Path.GetDirectoryName(tokenizerPath)!, file), Path.Combine(output, file));

        new Pretrainer(Tiny).Pretrain(corpus, tokenizer, Path.Combine(output, "tokenizer.json"), output, resume: false,
            cancellation: TestContext.Current.CancellationToken);

        Assert.Equal("data written earlier", File.ReadAllText(Path.Combine(output, "data", "keep.txt")));
        Assert.Equal("# readme", File.ReadAllText(Path.Combine(output, "README.md")));
        foreach (var file in new[] { "config.json", "generation_config.json", "model.safetensors", Pretrainer.ReportFileName, Pretrainer.CurveFileName })
            Assert.True(File.Exists(Path.Combine(output, file)), file);
        foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" }) // unchanged, byte for byte
            Assert.Equal(File.ReadAllBytes(Path.Combine(Path.GetDirectoryName(tokenizerPath)!, file)), File.ReadAllBytes(Path.Combine(output, file)));
        Assert.DoesNotContain(Directory.GetDirectories(folder), path => Path.GetFileName(path).StartsWith("nano.", StringComparison.Ordinal)); // no staging or checkpoint left
        using (var weights = SafetensorsFile.Open(Path.Combine(output, "model.safetensors")))
            Assert.All(weights.Tensors, tensor => Assert.Equal(SafetensorsDtype.BF16, tensor.Dtype));

        using var model = PretrainedModel.Load(output);
        Assert.True(model.Model.Config.TieWordEmbeddings);
        Assert.Equal(Tiny.ContextLength, model.Model.Config.MaxPositionEmbeddings);
        Assert.NotNull(model.ChatTemplate); // from the tokenizer_config.json copied along
        var prompt = model.Tokenizer.Encode("The capital of", addSpecialTokens: true);
        var result = new TextGenerator(model.Model, model.Tokenizer).Generate(
            new GenerationRequest(prompt, 6, SamplingOptions.Greedy) { StopAtEndOfGeneration = false }, TestContext.Current.CancellationToken);
        Assert.Equal(6, result.Tokens.Count);
        Assert.False(string.IsNullOrWhiteSpace(result.Text));
    }

    [Fact]
    public void Initial_weights_follow_the_seed_with_smaller_residual_projections()
    {
        var config = Tiny with { HiddenSize = 128, IntermediateSize = 256, Layers = 8 };
        using var first = new LlamaForCausalLM(config.ToConfig(tokenizer.VocabularySize, 1, 2), ScalarType.Float32);
        using var second = new LlamaForCausalLM(config.ToConfig(tokenizer.VocabularySize, 1, 2), ScalarType.Float32);
        PretrainingInitialization.Initialize(first, 3);
        PretrainingInitialization.Initialize(second, 3);

        var a = first.named_parameters().ToDictionary(pair => pair.name, pair => pair.parameter);
        var b = second.named_parameters().ToDictionary(pair => pair.name, pair => pair.parameter);
        Assert.All(a.Keys, name => Assert.True(a[name].eq(b[name]).all().item<bool>(), name));
        Assert.Equal(0.02, a["model.embed_tokens.weight"].std().item<float>(), 0.001);
        Assert.Equal(0.02, a["model.layers.3.self_attn.q_proj.weight"].std().item<float>(), 0.001);
        Assert.Equal(0.02 / 4, a["model.layers.3.mlp.down_proj.weight"].std().item<float>(), 0.0005); // 0.02 / √(2·8)
        Assert.Equal(0.02 / 4, a["model.layers.0.self_attn.o_proj.weight"].std().item<float>(), 0.0005);
        Assert.True(a["model.norm.weight"].eq(ones_like(a["model.norm.weight"])).all().item<bool>());
        Assert.Equal(config.ParameterCount(tokenizer.VocabularySize), a.Values.Sum(parameter => parameter.numel()));
    }

    [Theory]
    [InlineData(30, 4, 2, "multiple of the 4 attention heads")]
    [InlineData(32, 4, 3, "multiple of the 3 key/value heads")]
    [InlineData(36, 4, 2, "must be even")]
    [InlineData(0, 4, 2, "HiddenSize")]
    public void Impossible_sizes_are_refused_by_name(int hidden, int heads, int kvHeads, string expected)
    {
        var error = Assert.ThrowsAny<ArgumentException>(() =>
            Pretrain(Tiny with { HiddenSize = hidden, AttentionHeads = heads, KeyValueHeads = kvHeads }, "bad"));
        Assert.Contains(expected, error.Message);
        Assert.False(Directory.Exists(Path.Combine(folder, "bad")));
    }

    [Fact]
    public void A_corpus_too_short_for_one_window_is_a_clear_error()
    {
        var tiny = Path.Combine(folder, "tiny.txt");
        File.WriteAllText(tiny, "Hi.");
        var shortCorpus = PretrainingCorpus.Load([tiny], [], tokenizer);

        var error = Assert.Throws<ArgumentException>(() => new Pretrainer(Tiny).Pretrain(shortCorpus, tokenizer, tokenizerPath,
            Path.Combine(folder, "short"), resume: false, cancellation: TestContext.Current.CancellationToken));
        Assert.Contains("too few", error.Message);
    }

    [Fact]
    public void An_output_path_that_is_a_file_is_refused_before_training()
    {
        var file = Path.Combine(folder, "taken");
        File.WriteAllText(file, "not a folder");
        var error = Assert.Throws<IOException>(() => Pretrain(Tiny, "taken"));
        Assert.Contains("is a file", error.Message);
    }

    private (string Output, PretrainingReport Report) Pretrain(PretrainingOptions options, string name,
        IProgress<PretrainingProgress>? progress = null, CancellationToken? cancellation = null, bool resume = false)
    {
        var output = Path.Combine(folder, name);
        var report = new Pretrainer(options).Pretrain(corpus, tokenizer, tokenizerPath, output, resume, progress,
            cancellation ?? TestContext.Current.CancellationToken);
        return (output, report);
    }

    private static byte[] Weights(string output) => File.ReadAllBytes(Path.Combine(output, "model.safetensors"));

    private sealed class StepProgress(Action<int> onStep) : IProgress<PretrainingProgress>
    {
        public void Report(PretrainingProgress value) => onStep(value.Step);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
