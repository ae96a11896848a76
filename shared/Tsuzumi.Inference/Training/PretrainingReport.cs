namespace Tsuzumi.Inference.Training;

/// <summary>Reported after every optimiser step; <see cref="EvalLoss"/> is the latest held-out loss, once measured.</summary>
public sealed record PretrainingProgress(int Epoch, int Epochs, int Step, int TotalSteps, double Loss, double? EvalLoss,
    double LearningRate, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>What a finished (or interrupted) pretraining run did; saved as <c>training_report.json</c> beside the model.</summary>
public sealed record PretrainingReport
{
    public string Mode => "pretrain";
    public required PretrainingOptions Options { get; init; }
    public required IReadOnlyList<string> Corpus { get; init; }
    public required string CorpusFingerprint { get; init; }
    public required long CorpusTokens { get; init; }
    public required int Documents { get; init; }
    public required int TrainSequences { get; init; }
    public required int EvalSequences { get; init; }
    public required long Parameters { get; init; }
    public required int Threads { get; init; }
    public required int Steps { get; init; }
    public required int TotalSteps { get; init; }
    public required bool Completed { get; init; }
    public required double FinalTrainLoss { get; init; }
    public double? FinalEvalLoss { get; init; }

    /// <summary>Training tokens per second in this process (since the start or the resume).</summary>
    public required double TokensPerSecond { get; init; }

    public required double Seconds { get; init; }
    public required IReadOnlyList<LossPoint> TrainLoss { get; init; }
    public required IReadOnlyList<LossPoint> EvalLoss { get; init; }
}
