namespace Tsuzumi.Inference.Training;

/// <summary>Everything that decides a training run; the same options and data reproduce the same weights.</summary>
public sealed record TrainingOptions
{
    /// <summary>Train every weight of the model instead of a LoRA adapter.</summary>
    public bool FullFineTune { get; init; }

    public int Rank { get; init; } = 16;
    public double Alpha { get; init; } = 32;
    public bool UseRsLora { get; init; }
    public IReadOnlyList<string> Targets { get; init; } = Adapters.LoraTargets.Layers;

    /// <summary>
    /// With the output head among <see cref="Targets"/>: the only token ids whose head rows the adapter may change (null:
    /// all). The head correction then moves just these tokens' logits — e.g. vocabulary the base model never learned to
    /// produce — and every other token keeps the base model's head, so the adapter cannot tilt other answers through it.
    /// </summary>
    public IReadOnlyList<int>? HeadTokens { get; init; }

    public int Epochs { get; init; } = 3;
    public double LearningRate { get; init; } = 2e-4;
    public double WeightDecay { get; init; } = 0.0;

    /// <summary>Sequences per optimiser step (before accumulation).</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Micro-batches whose gradients add up before one optimiser step.</summary>
    public int GradientAccumulation { get; init; } = 1;

    /// <summary>Gradients are rescaled to this global L2 norm at most; 0 disables.</summary>
    public double MaxGradientNorm { get; init; } = 1.0;

    /// <summary>Fraction of optimiser steps spent warming the learning rate up linearly, before the cosine decay.</summary>
    public double WarmupFraction { get; init; } = 0.05;

    /// <summary>Fraction of examples held out to measure eval loss (0 = none).</summary>
    public double EvalFraction { get; init; } = 0.1;

    public int Seed { get; init; } = 42;

    /// <summary>Save a resumable checkpoint every this many optimiser steps (and at every epoch end).</summary>
    public int CheckpointEvery { get; init; } = 200;

    public void Validate()
    {
        if (!FullFineTune && Rank <= 0) throw new ArgumentOutOfRangeException(nameof(Rank), Rank, "rank must be positive");
        if (!FullFineTune && !(Alpha > 0)) throw new ArgumentOutOfRangeException(nameof(Alpha), Alpha, "alpha must be positive");
        if (Epochs <= 0) throw new ArgumentOutOfRangeException(nameof(Epochs), Epochs, "epochs must be positive");
        if (!(LearningRate > 0)) throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "learning rate must be positive");
        if (BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "batch size must be positive");
        if (GradientAccumulation <= 0) throw new ArgumentOutOfRangeException(nameof(GradientAccumulation), GradientAccumulation, "accumulation must be positive");
        if (EvalFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(EvalFraction), EvalFraction, "eval fraction must be in [0, 1)");
        if (WarmupFraction is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(WarmupFraction), WarmupFraction, "warmup fraction must be in [0, 1)");
        if (!FullFineTune && Targets.Count == 0) throw new ArgumentException("at least one LoRA target module is needed", nameof(Targets));
        if (HeadTokens is not null && (FullFineTune || !Targets.Contains(Adapters.LoraTargets.Head)))
            throw new ArgumentException("head tokens restrict the output-head adapter: add head to the LoRA targets", nameof(HeadTokens));
        if (HeadTokens is { Count: 0 }) throw new ArgumentException("the list of head tokens is empty: nothing of the head could be trained", nameof(HeadTokens));
        if (HeadTokens?.FirstOrDefault(token => token < 0) is < 0 and var negative) throw new ArgumentOutOfRangeException(nameof(HeadTokens), negative, "token ids are not negative");
    }
}
