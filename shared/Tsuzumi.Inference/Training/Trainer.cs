using System.Diagnostics;
using System.Text.Json;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Formats.HuggingFace;
using Tsuzumi.Inference.Formats.Safetensors;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// Fine-tunes a model — a new LoRA adapter by default, every weight with <see cref="TrainingOptions.FullFineTune"/> —
/// with AdamW, warm-up + cosine learning rate, gradient clipping and accumulation, a held-out eval split, seeded
/// data order, and resumable checkpoints (<c>&lt;out&gt;.checkpoint/</c>). The result is written to a temporary
/// folder and moved into place, with <c>training_report.json</c> and <c>loss_curve.svg</c> beside it.
/// </summary>
public sealed class Trainer(PretrainedModel baseModel, TrainingOptions options, string dataPath)
{
    private const string ReportFileName = "training_report.json";
    private const string CurveFileName = "loss_curve.svg";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public TrainingReport Train(IReadOnlyList<TrainingExample> examples, string outputDirectory, bool resume,
        IProgress<TrainingProgress>? progress = null, CancellationToken cancellation = default)
    {
        options.Validate();
        var model = baseModel.Model;
        if (model.DType != ScalarType.Float32) throw new ArgumentException("training needs the model loaded in fp32");
        var output = Path.GetFullPath(outputDirectory);
        var checkpointDirectory = output + ".checkpoint";
        OutputFolder.EnsureParentWritable(output, "the output");

        var (train, eval) = Split(examples);
        var microBatchesPerEpoch = (train.Count + options.BatchSize - 1) / options.BatchSize;
        var stepsPerEpoch = (microBatchesPerEpoch + options.GradientAccumulation - 1) / options.GradientAccumulation;
        var totalSteps = stepsPerEpoch * options.Epochs;
        var schedule = new LearningRateSchedule(options.LearningRate, totalSteps, (int)(totalSteps * options.WarmupFraction));

        using var adapter = options.FullFineTune ? null : CreateAdapter(model.Config);
        var trainable = options.FullFineTune ? EnableFullTraining(model) : adapter!.Pairs.Values.SelectMany(pair => new[] { (Parameter)pair.A, (Parameter)pair.B }).ToArray();
        using var optimizer = new AdamW([new AdamWGroup(trainable, options.WeightDecay)], options.LearningRate);
        using var headRowMask = HeadRowMask(model.Config);

        var state = new RunState { Seed = options.Seed, Full = options.FullFineTune };
        if (resume && Directory.Exists(checkpointDirectory))
            state = RestoreCheckpoint(checkpointDirectory, adapter, model, optimizer);

        var clock = Stopwatch.StartNew();
        long tokensSeen = 0;
        var completed = true;
        try
        {
            for (var epoch = state.Epoch; epoch < options.Epochs; epoch++)
            {
                var order = Shuffle(train, new Random(options.Seed + epoch));
                for (var micro = state.MicroBatch; micro < microBatchesPerEpoch; micro++)
                {
                    if (cancellation.IsCancellationRequested)
                    {
                        completed = false;
                        state = state with { Epoch = epoch, MicroBatch = micro };
                        SaveCheckpoint(checkpointDirectory, adapter, model, optimizer, state);
                        return Finish(output, checkpointDirectory, adapter, model, train.Count, eval.Count, state, clock, tokensSeen, trainable, completed);
                    }
                    var batch = order.Skip(micro * options.BatchSize).Take(options.BatchSize).ToArray();
                    using (var scope = NewDisposeScope())
                    {
                        var loss = BatchLoss(model, adapter, batch, out var tokens).DividedBy(options.GradientAccumulation);
                        loss.backward();
                        tokensSeen += tokens;
                        state.RecentLoss.Add(loss.item<float>() * options.GradientAccumulation);
                    }

                    var endsStep = (micro + 1) % options.GradientAccumulation == 0 || micro + 1 == microBatchesPerEpoch;
                    if (!endsStep) continue;
                    // Rows outside the head tokens get no gradient: with B starting at zero, AdamW then leaves them at zero.
                    if (headRowMask is not null) adapter!.Pairs[LoraTargets.Head].B.grad!.mul_(headRowMask);
                    if (options.MaxGradientNorm > 0) nn.utils.clip_grad_norm_(trainable, options.MaxGradientNorm);
                    var rate = schedule.At(state.Step);
                    optimizer.LearningRate = rate;
                    optimizer.Step();
                    optimizer.ZeroGrad();
                    var stepLoss = state.RecentLoss.Average();
                    state.RecentLoss.Clear();
                    state = state with { Step = state.Step + 1 };
                    state.TrainLoss.Add(new LossPoint(state.Step, stepLoss));
                    var elapsed = clock.Elapsed;
                    var perStep = elapsed / Math.Max(1, state.Step - state.StepsBeforeResume);
                    progress?.Report(new TrainingProgress(epoch + 1, options.Epochs, state.Step, totalSteps, stepLoss, rate,
                        tokensSeen / Math.Max(elapsed.TotalSeconds, 1e-9), elapsed, perStep * (totalSteps - state.Step)));
                    if (options.CheckpointEvery > 0 && state.Step % options.CheckpointEvery == 0)
                        SaveCheckpoint(checkpointDirectory, adapter, model, optimizer, state with { Epoch = epoch, MicroBatch = micro + 1 });
                }
                state = state with { MicroBatch = 0 };
                if (eval.Count > 0) state.EvalLoss.Add(new LossPoint(state.Step, EvalLoss(model, adapter, eval)));
                SaveCheckpoint(checkpointDirectory, adapter, model, optimizer, state with { Epoch = epoch + 1 });
            }
            return Finish(output, checkpointDirectory, adapter, model, train.Count, eval.Count, state, clock, tokensSeen, trainable, completed);
        }
        finally
        {
            if (options.FullFineTune) foreach (var parameter in trainable) parameter.requires_grad = false;
        }
    }

    private Tensor BatchLoss(LlamaForCausalLM model, LoraAdapter? adapter, TrainingExample[] batch, out long tokens)
    {
        var length = batch.Max(example => example.Tokens.Length);
        var ids = new long[batch.Length * length];
        var targets = new long[batch.Length * length];
        Array.Fill(targets, -100);
        tokens = 0;
        for (var row = 0; row < batch.Length; row++)
        {
            var example = batch[row];
            tokens += example.Tokens.Length;
            for (var position = 0; position < example.Tokens.Length; position++)
            {
                ids[row * length + position] = example.Tokens[position];
                // Position p predicts token p+1: the target sits one to the left of where its token is.
                if (position > 0 && example.LossMask[position]) targets[row * length + position - 1] = example.Tokens[position];
            }
        }
        using var adapters = adapter is null ? null
            : new AdapterBatch(batch.Select(_ => (IReadOnlyList<WeightedAdapter>)[new WeightedAdapter(adapter)]).ToArray(), ScalarType.Float32);
        var logits = model.ForwardForTraining(tensor(ids, new long[] { batch.Length, length }), adapters); // [batch, seq, vocab]
        return nn.functional.cross_entropy(logits.view(-1, logits.shape[2]), tensor(targets), ignore_index: -100);
    }

    private double EvalLoss(LlamaForCausalLM model, LoraAdapter? adapter, IReadOnlyList<TrainingExample> eval)
    {
        using var noGrad = no_grad();
        double total = 0;
        long targets = 0;
        foreach (var chunk in eval.Chunk(options.BatchSize))
        {
            using var scope = NewDisposeScope();
            var count = chunk.Sum(example => example.TargetCount);
            total += BatchLoss(model, adapter, chunk, out _).item<float>() * count;
            targets += count;
        }
        return total / Math.Max(1, targets);
    }

    /// <summary>[vocab, 1]: 1 for the rows of <see cref="TrainingOptions.HeadTokens"/>, 0 elsewhere; null when the whole head trains.</summary>
    private Tensor? HeadRowMask(LlamaConfig config)
    {
        if (options.HeadTokens is not { } headTokens) return null;
        if (headTokens.FirstOrDefault(token => token >= config.VocabSize) is var outside && outside >= config.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(options), outside, $"head token {outside} is outside the vocabulary of {config.VocabSize}");
        var rows = new float[config.VocabSize];
        foreach (var token in headTokens) rows[token] = 1;
        return tensor(rows, new long[] { config.VocabSize, 1 });
    }

    private LoraAdapter CreateAdapter(LlamaConfig config)
    {
        // A generator of its own, not libtorch's global one: another trainer (a parallel test, a second training in the
        // process) reseeding or drawing from that between our seed and our draws gave a different adapter for the same seed.
        using var generator = new Generator((ulong)options.Seed);
        var pairs = new Dictionary<string, LoraPair>();
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            foreach (var target in options.Targets.Where(target => target != LoraTargets.Head || layer == 0))
            {
                var (inFeatures, outFeatures) = LoraTargets.Shape(config, target);
                // PEFT's initialisation: A ~ Kaiming-uniform (a = √5, so bound = 1/√in), B = 0, so training starts at the base.
                var bound = 1.0 / Math.Sqrt(inFeatures);
                var a = new Parameter(rand(options.Rank, inFeatures, generator: generator).Times(2).Minus(1).Times(bound), requires_grad: true);
                var b = new Parameter(zeros(outFeatures, options.Rank), requires_grad: true);
                pairs[LoraTargets.ModulePath(layer, target)] = new LoraPair(a, b);
            }
        }
        var loraConfig = new LoraConfig(options.Rank, options.Alpha, options.Targets, options.UseRsLora, baseModel.SourcePath);
        return new LoraAdapter(Path.GetFileName(dataPath), "training", loraConfig, pairs);
    }

    private static Parameter[] EnableFullTraining(LlamaForCausalLM model)
    {
        var parameters = model.parameters().ToArray();
        foreach (var parameter in parameters) parameter.requires_grad = true;
        return parameters;
    }

    private (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) Split(IReadOnlyList<TrainingExample> examples)
    {
        var shuffled = Shuffle(examples, new Random(options.Seed));
        var evalCount = (int)Math.Floor(examples.Count * options.EvalFraction);
        if (evalCount >= examples.Count) evalCount = examples.Count - 1;
        return (shuffled.Skip(evalCount).ToArray(), shuffled.Take(evalCount).ToArray());
    }

    private static T[] Shuffle<T>(IReadOnlyList<T> items, Random random)
    {
        var copy = items.ToArray();
        random.Shuffle(copy);
        return copy;
    }

    private TrainingReport Finish(string output, string checkpointDirectory, LoraAdapter? adapter, LlamaForCausalLM model,
        int trainCount, int evalCount, RunState state, Stopwatch clock, long tokensSeen, Parameter[] trainable, bool completed)
    {
        var report = new TrainingReport
        {
            Mode = options.FullFineTune ? "full" : "lora",
            Model = baseModel.SourcePath,
            Data = dataPath,
            Options = options,
            TrainExamples = trainCount,
            EvalExamples = evalCount,
            Steps = state.Step,
            Completed = completed,
            FinalTrainLoss = state.TrainLoss.Count > 0 ? state.TrainLoss[^1].Loss : double.NaN,
            FinalEvalLoss = state.EvalLoss.Count > 0 ? state.EvalLoss[^1].Loss : null,
            TokensPerSecond = tokensSeen / Math.Max(clock.Elapsed.TotalSeconds, 1e-9),
            Seconds = clock.Elapsed.TotalSeconds,
            TrainableParameters = trainable.Sum(parameter => parameter.numel()),
            TrainLoss = state.TrainLoss,
            EvalLoss = state.EvalLoss,
        };
        if (!completed) return report; // the checkpoint holds the run; nothing final is written

        var staging = Path.Combine(Path.GetDirectoryName(output)!, $".{Path.GetFileName(output)}.tmp-{Guid.NewGuid():N}");
        try
        {
            if (adapter is not null) PeftAdapterFormat.Save(adapter, staging);
            else SaveFullModel(model, staging);
            File.WriteAllText(Path.Combine(staging, ReportFileName), JsonSerializer.Serialize(report, Indented));
            File.WriteAllText(Path.Combine(staging, CurveFileName),
                LossCurve.ToSvg(report.TrainLoss, report.EvalLoss, $"{report.Mode} fine-tuning on {Path.GetFileName(dataPath)}"));
            if (Directory.Exists(output)) Directory.Delete(output, recursive: true);
            Directory.Move(staging, output);
        }
        catch
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
            throw;
        }
        if (Directory.Exists(checkpointDirectory)) Directory.Delete(checkpointDirectory, recursive: true);
        return report;
    }

    private void SaveFullModel(LlamaForCausalLM model, string directory)
    {
        var checkpoint = ModelExport.ToCheckpoint(model, baseModel.SourcePath, baseModel.ChatTemplate);
        if (Directory.Exists(baseModel.SourcePath))
        {
            var tokenizer = HuggingFaceFolder.Locate(baseModel.SourcePath).TokenizerJsonPath;
            HuggingFaceCheckpointWriter.Write(checkpoint, directory, SafetensorsDtype.F32, tokenizer);
            return;
        }
        Directory.CreateDirectory(directory);
        using var source = GgufFile.Open(baseModel.SourcePath);
        GgufCheckpointWriter.Write(checkpoint, GgufCheckpointReader.ReadVocabulary(source), Path.Combine(directory, "model.gguf"));
    }

    private void SaveCheckpoint(string directory, LoraAdapter? adapter, LlamaForCausalLM model, AdamW optimizer, RunState state)
    {
        var staging = directory + ".tmp";
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        if (adapter is not null) PeftAdapterFormat.Save(adapter, staging);
        else
        {
            Directory.CreateDirectory(staging);
            SafetensorsWriter.Write(Path.Combine(staging, "model.safetensors"), model.named_parameters().Select(pair =>
                new SafetensorsTensorToWrite(pair.name, pair.parameter.shape, SafetensorsDtype.F32,
                    () => pair.parameter.detach().contiguous().data<float>().ToArray())));
        }
        optimizer.SaveInto(staging);
        File.WriteAllText(Path.Combine(staging, "state.json"), JsonSerializer.Serialize(state.ToSaved(), Indented));
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        Directory.Move(staging, directory);
    }

    private RunState RestoreCheckpoint(string directory, LoraAdapter? adapter, LlamaForCausalLM model, AdamW optimizer)
    {
        var saved = JsonSerializer.Deserialize<SavedState>(File.ReadAllText(Path.Combine(directory, "state.json")))
            ?? throw new IOException($"{directory}: unreadable state.json");
        if (saved.Seed != options.Seed || saved.Full != options.FullFineTune)
            throw new ArgumentException($"the checkpoint in {directory} was made with other options (seed {saved.Seed}, full {saved.Full}); delete it or match them");
        using var noGrad = no_grad();
        if (adapter is not null)
        {
            using var restored = PeftAdapterFormat.Load(directory, model.Config);
            foreach (var (modulePath, pair) in adapter.Pairs)
            {
                pair.A.copy_(restored.Pairs[modulePath].A);
                pair.B.copy_(restored.Pairs[modulePath].B);
            }
        }
        else
        {
            using var weights = SafetensorsFile.Open(Path.Combine(directory, "model.safetensors"));
            foreach (var (name, parameter) in model.named_parameters())
            {
                using var values = tensor(weights.ReadFloat32(name), parameter.shape);
                parameter.copy_(values);
            }
        }
        optimizer.RestoreFrom(directory);
        return RunState.From(saved);
    }

    private sealed record RunState
    {
        public int Epoch { get; init; }
        public int MicroBatch { get; init; }
        public int Step { get; init; }
        public int StepsBeforeResume { get; init; }
        public int Seed { get; init; }
        public bool Full { get; init; }
        public List<LossPoint> TrainLoss { get; init; } = [];
        public List<LossPoint> EvalLoss { get; init; } = [];
        public List<double> RecentLoss { get; } = [];

        public SavedState ToSaved() => new(Epoch, MicroBatch, Step, Seed, Full, TrainLoss, EvalLoss);

        public static RunState From(SavedState saved) => new()
        {
            Epoch = saved.Epoch, MicroBatch = saved.MicroBatch, Step = saved.Step, StepsBeforeResume = saved.Step,
            Seed = saved.Seed, Full = saved.Full, TrainLoss = [.. saved.TrainLoss], EvalLoss = [.. saved.EvalLoss],
        };
    }

    private sealed record SavedState(int Epoch, int MicroBatch, int Step, int Seed, bool Full, List<LossPoint> TrainLoss, List<LossPoint> EvalLoss);
}
