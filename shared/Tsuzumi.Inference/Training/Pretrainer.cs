using System.Diagnostics;
using System.Text.Json;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Tokenization;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// Trains a Llama model from random weights on a <see cref="PretrainingCorpus"/>: seeded initialisation
/// (<see cref="PretrainingInitialization"/>), next-token loss on every token of packed windows, AdamW with decay on the
/// matrices only, warm-up + cosine learning rate, gradient clipping, eval loss on held-out windows, and resumable
/// checkpoints (<c>&lt;out&gt;.checkpoint/</c>, every N steps and on cancellation). The finished model is written as a
/// Hugging Face folder (BF16 safetensors, the tokenizer, <c>training_report.json</c>, <c>loss_curve.svg</c>) into a
/// temporary sibling and then moved into <c>out</c>; files already in <c>out</c> that the model does not replace
/// (e.g. tsuzumi-nano's <c>data/</c> and README) are left alone.
/// </summary>
public sealed class Pretrainer(PretrainingOptions options)
{
    public const string ReportFileName = "training_report.json";
    public const string CurveFileName = "loss_curve.svg";
    private const string WeightsFileName = "model.safetensors";
    private const string StateFileName = "state.json";
    private const long IgnoredTarget = -100;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>The checkpoint folder a run writing to <paramref name="outputDirectory"/> uses.</summary>
    public static string CheckpointDirectory(string outputDirectory) => Path.GetFullPath(outputDirectory).TrimEnd(Path.DirectorySeparatorChar) + ".checkpoint";

    /// <param name="tokenizerJsonPath">The tokenizer.json the corpus was encoded with; it (and the tokenizer_config.json beside it) is copied into the output.</param>
    /// <param name="resume">Continue from the checkpoint when there is one (it must come from the same options and corpus).</param>
    /// <returns>The report; <see cref="PretrainingReport.Completed"/> is false when <paramref name="cancellation"/> stopped the run.</returns>
    public PretrainingReport Pretrain(PretrainingCorpus corpus, ITokenizer tokenizer, string tokenizerJsonPath, string outputDirectory,
        bool resume, IProgress<PretrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        ArgumentNullException.ThrowIfNull(tokenizer);
        options.Validate();
        if (!File.Exists(tokenizerJsonPath)) throw new FileNotFoundException($"tokenizer.json not found: {tokenizerJsonPath}", tokenizerJsonPath);
        var output = Path.GetFullPath(outputDirectory).TrimEnd(Path.DirectorySeparatorChar);
        var checkpointDirectory = CheckpointDirectory(output);
        CheckWritable(output);
        if (corpus.Tokens.Any(id => id < 0 || id >= tokenizer.VocabularySize))
            throw new ArgumentException($"the corpus holds token ids outside the tokenizer's {tokenizer.VocabularySize}-token vocabulary");

        var (train, eval) = Split(corpus.Pack(options.ContextLength));
        var batchesPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var totalSteps = batchesPerEpoch * options.Epochs;
        var schedule = new LearningRateSchedule(options.LearningRate, totalSteps, (int)(totalSteps * options.WarmupFraction));
        var optionsJson = JsonSerializer.Serialize(options);
        var fingerprint = corpus.Fingerprint;

        using var model = new LlamaForCausalLM(options.ToConfig(tokenizer.VocabularySize, tokenizer.BosId, tokenizer.EosId), ScalarType.Float32);
        PretrainingInitialization.Initialize(model, options.Seed);
        var parameters = model.named_parameters().ToArray();
        foreach (var (_, parameter) in parameters) parameter.requires_grad = true;
        using var optimizer = CreateOptimizer(parameters);

        var state = new RunState();
        if (resume && Directory.Exists(checkpointDirectory))
            state = RestoreCheckpoint(checkpointDirectory, model, optimizer, optionsJson, fingerprint);

        var clock = Stopwatch.StartNew();
        long tokensSeen = 0;
        var stepsBeforeResume = state.Step;
        PretrainingReport Report(bool completed) => new()
        {
            Options = options,
            Corpus = corpus.Sources,
            CorpusFingerprint = fingerprint,
            CorpusTokens = corpus.Tokens.Count,
            Documents = corpus.DocumentCount,
            TrainSequences = train.Count,
            EvalSequences = eval.Count,
            Parameters = parameters.Sum(pair => pair.parameter.numel()),
            Threads = get_num_threads(),
            Steps = state.Step,
            TotalSteps = totalSteps,
            Completed = completed,
            FinalTrainLoss = state.TrainLoss.Count > 0 ? state.TrainLoss[^1].Loss : double.NaN,
            FinalEvalLoss = state.EvalLoss.Count > 0 ? state.EvalLoss[^1].Loss : null,
            TokensPerSecond = tokensSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
            Seconds = clock.Elapsed.TotalSeconds,
            TrainLoss = state.TrainLoss,
            EvalLoss = state.EvalLoss,
        };

        for (var epoch = state.Epoch; epoch < options.Epochs; epoch++)
        {
            // The order of an epoch depends only on the seed and the epoch, so a resumed run continues the same order.
            var order = train.ToArray();
            new Random(options.Seed + 1 + epoch).Shuffle(order);
            for (var batch = epoch == state.Epoch ? state.Batch : 0; batch < batchesPerEpoch; batch++)
            {
                if (cancellation.IsCancellationRequested)
                {
                    SaveCheckpoint(checkpointDirectory, model, optimizer, state with { Epoch = epoch, Batch = batch }, optionsJson, fingerprint);
                    return Report(completed: false);
                }

                var rate = schedule.At(state.Step);
                double loss;
                using (var scope = NewDisposeScope())
                {
                    var windows = order.Skip(batch * options.BatchSize).Take(options.BatchSize).ToArray();
                    var lossTensor = WindowLoss(model, windows, out var targets);
                    lossTensor.backward();
                    if (options.MaxGradientNorm > 0) nn.utils.clip_grad_norm_(parameters.Select(pair => pair.parameter), options.MaxGradientNorm);
                    optimizer.LearningRate = rate;
                    optimizer.Step();
                    optimizer.ZeroGrad();
                    loss = lossTensor.item<float>();
                    tokensSeen += targets;
                }

                var step = state.Step + 1;
                state = state with { Step = step };
                state.TrainLoss.Add(new LossPoint(step, loss));
                if (options.EvalEvery > 0 && step % options.EvalEvery == 0 && step < totalSteps && eval.Count > 0)
                    state.EvalLoss.Add(new LossPoint(step, EvalLoss(model, eval)));
                var elapsed = clock.Elapsed;
                var perStep = elapsed / Math.Max(1, step - stepsBeforeResume);
                progress?.Report(new PretrainingProgress(epoch + 1, options.Epochs, step, totalSteps, loss,
                    state.EvalLoss.Count > 0 ? state.EvalLoss[^1].Loss : null, rate,
                    tokensSeen / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed, perStep * (totalSteps - step)));
                if (options.CheckpointEvery > 0 && step % options.CheckpointEvery == 0 && step < totalSteps)
                {
                    var next = batch + 1 == batchesPerEpoch ? state with { Epoch = epoch + 1, Batch = 0 } : state with { Epoch = epoch, Batch = batch + 1 };
                    SaveCheckpoint(checkpointDirectory, model, optimizer, next, optionsJson, fingerprint);
                }
            }
        }

        if (eval.Count > 0 && (state.EvalLoss.Count == 0 || state.EvalLoss[^1].Step != state.Step))
            state.EvalLoss.Add(new LossPoint(state.Step, EvalLoss(model, eval)));
        var report = Report(completed: true);
        Publish(model, tokenizerJsonPath, output, report);
        if (Directory.Exists(checkpointDirectory)) Directory.Delete(checkpointDirectory, recursive: true);
        return report;
    }

    /// <summary>Held-out windows are chosen by the seed; the rest are trained on.</summary>
    private (IReadOnlyList<int[]> Train, IReadOnlyList<int[]> Eval) Split(IReadOnlyList<int[]> windows)
    {
        var evalCount = options.EvalFraction > 0 ? Math.Max(1, (int)(windows.Count * options.EvalFraction)) : 0;
        if (windows.Count - evalCount < 1)
            throw new ArgumentException($"the corpus packs into {windows.Count} window(s) of {options.ContextLength} tokens: too few to train on" +
                (evalCount > 0 ? " and hold some out for eval" : ""));
        var shuffled = windows.ToArray();
        new Random(options.Seed).Shuffle(shuffled);
        return (shuffled.Skip(evalCount).ToArray(), shuffled.Take(evalCount).ToArray());
    }

    /// <summary>AdamW with weight decay on the matrices (embeddings, projections) and none on the norm weights.</summary>
    private AdamW CreateOptimizer(IReadOnlyList<(string name, Parameter parameter)> parameters)
    {
        var decayed = parameters.Where(pair => pair.parameter.dim() >= 2).Select(pair => pair.parameter).ToArray();
        var plain = parameters.Where(pair => pair.parameter.dim() < 2).Select(pair => pair.parameter).ToArray();
        return new AdamW([new AdamWGroup(decayed, options.WeightDecay), new AdamWGroup(plain, 0)], options.LearningRate, options.Beta1, options.Beta2);
    }

    /// <summary>Mean next-token cross-entropy over every target of the windows (each ≤ context + 1 tokens).</summary>
    private static Tensor WindowLoss(LlamaForCausalLM model, IReadOnlyList<int[]> windows, out long targetCount)
    {
        var length = windows.Max(window => window.Length) - 1;
        var ids = new long[windows.Count * length];
        var targets = new long[windows.Count * length];
        Array.Fill(targets, IgnoredTarget); // a short last window leaves padding that predicts nothing
        targetCount = 0;
        for (var row = 0; row < windows.Count; row++)
        {
            var window = windows[row];
            for (var position = 0; position + 1 < window.Length; position++)
            {
                ids[row * length + position] = window[position];
                targets[row * length + position] = window[position + 1];
            }
            targetCount += window.Length - 1;
        }
        var logits = model.ForwardForTraining(tensor(ids, new long[] { windows.Count, length })); // [batch, seq, vocab]
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), tensor(targets), ignore_index: IgnoredTarget);
    }

    private double EvalLoss(LlamaForCausalLM model, IReadOnlyList<int[]> eval)
    {
        using var noGrad = no_grad();
        double total = 0;
        long count = 0;
        foreach (var chunk in eval.Chunk(options.BatchSize))
        {
            using var scope = NewDisposeScope();
            var loss = WindowLoss(model, chunk, out var targets).item<float>();
            total += loss * targets;
            count += targets;
        }
        return total / Math.Max(1, count);
    }

    private static void CheckWritable(string output)
    {
        if (File.Exists(output)) throw new IOException($"{output} is a file; the model is written into a folder");
        if (File.Exists(Path.Combine(output, HuggingFaceFolder.WeightsIndexFileName)))
            throw new IOException($"{output} holds a sharded model ({HuggingFaceFolder.WeightsIndexFileName}) that the new weights would not replace; use another folder");
        OutputFolder.EnsureParentWritable(output, "the model");
    }

    /// <summary>Writes the folder beside <paramref name="output"/>, then moves it (or, when the folder exists, its files) in.</summary>
    private static void Publish(LlamaForCausalLM model, string tokenizerJsonPath, string output, PretrainingReport report)
    {
        var staging = $"{output}.pretrain-{Guid.NewGuid():N}";
        try
        {
            // Copy the tokenizer first: it may live in the output folder itself, whose files are replaced below.
            HuggingFaceCheckpointWriter.Write(ModelExport.ToCheckpoint(model, output), staging, SafetensorsDtype.BF16, tokenizerJsonPath);
            // The writer re-serialises tokenizer_config.json; keep the original bytes so that writing into the folder the
            // tokenizer came from (tsuzumi-nano's own) leaves its committed tokenizer files unchanged.
            var tokenizerConfig = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(tokenizerJsonPath))!, HuggingFaceFolder.TokenizerConfigFileName);
            if (File.Exists(tokenizerConfig)) File.Copy(tokenizerConfig, Path.Combine(staging, HuggingFaceFolder.TokenizerConfigFileName), overwrite: true);
            File.WriteAllText(Path.Combine(staging, ReportFileName), JsonSerializer.Serialize(report, Indented) + "\n");
            File.WriteAllText(Path.Combine(staging, CurveFileName), LossCurve.ToSvg(report.TrainLoss, report.EvalLoss,
                $"pretraining: {report.Steps} steps, {report.Parameters / 1e6:F1}M parameters"));
            if (!Directory.Exists(output))
            {
                Directory.Move(staging, output);
                return;
            }
            foreach (var file in Directory.GetFiles(staging))
                File.Move(file, Path.Combine(output, Path.GetFileName(file)), overwrite: true);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    private static void SaveCheckpoint(string directory, LlamaForCausalLM model, AdamW optimizer, RunState state, string optionsJson, string fingerprint)
    {
        var staging = directory + ".tmp";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        SafetensorsWriter.Write(Path.Combine(staging, WeightsFileName), model.named_parameters().Select(pair =>
            new SafetensorsTensorToWrite(pair.name, pair.parameter.shape, SafetensorsDtype.F32,
                () => pair.parameter.detach().contiguous().data<float>().ToArray())));
        optimizer.SaveInto(staging);
        var saved = new SavedState(state.Epoch, state.Batch, state.Step, optionsJson, fingerprint, state.TrainLoss, state.EvalLoss);
        File.WriteAllText(Path.Combine(staging, StateFileName), JsonSerializer.Serialize(saved, Indented));
        // Swap in whole: a crash while saving leaves the previous checkpoint (or the .tmp) but never half of one.
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.Move(staging, directory);
    }

    private static RunState RestoreCheckpoint(string directory, LlamaForCausalLM model, AdamW optimizer, string optionsJson, string fingerprint)
    {
        SavedState saved;
        try
        {
            saved = JsonSerializer.Deserialize<SavedState>(File.ReadAllText(Path.Combine(directory, StateFileName)))
                ?? throw new IOException($"{directory}: {StateFileName} is empty");
        }
        catch (JsonException error)
        {
            throw new IOException($"{directory}: {StateFileName} is not readable: {error.Message}", error);
        }
        if (saved.Options != optionsJson)
            throw new ArgumentException($"the checkpoint in {directory} was made with other options ({saved.Options}); delete it or pass the same options");
        if (saved.CorpusFingerprint != fingerprint)
            throw new ArgumentException($"the checkpoint in {directory} was made from another corpus or tokenizer; delete it or use the same files");
        using var noGrad = no_grad();
        using var weights = SafetensorsFile.Open(Path.Combine(directory, WeightsFileName));
        foreach (var (name, parameter) in model.named_parameters())
        {
            using var values = tensor(weights.ReadFloat32(name), parameter.shape);
            parameter.copy_(values);
        }
        optimizer.RestoreFrom(directory);
        return new RunState { Epoch = saved.Epoch, Batch = saved.Batch, Step = saved.Step, TrainLoss = [.. saved.TrainLoss], EvalLoss = [.. saved.EvalLoss] };
    }

    /// <summary>Where the run stands: the next batch to train is <see cref="Batch"/> of <see cref="Epoch"/>.</summary>
    private sealed record RunState
    {
        public int Epoch { get; init; }
        public int Batch { get; init; }
        public int Step { get; init; }
        public List<LossPoint> TrainLoss { get; init; } = [];
        public List<LossPoint> EvalLoss { get; init; } = [];
    }

    private sealed record SavedState(int Epoch, int Batch, int Step, string Options, string CorpusFingerprint, List<LossPoint> TrainLoss, List<LossPoint> EvalLoss);
}
