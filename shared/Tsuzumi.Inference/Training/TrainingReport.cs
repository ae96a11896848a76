namespace Tsuzumi.Inference.Training;

/// <summary>Reported after every optimiser step.</summary>
public sealed record TrainingProgress(int Epoch, int Epochs, int Step, int TotalSteps, double Loss, double LearningRate,
    double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining);

/// <summary>One point of the loss curve.</summary>
public sealed record LossPoint(int Step, double Loss);

/// <summary>What a finished (or interrupted) run did; saved as <c>training_report.json</c> beside the output.</summary>
public sealed record TrainingReport
{
    public required string Mode { get; init; }
    public required string Model { get; init; }
    public required string Data { get; init; }
    public required TrainingOptions Options { get; init; }
    public required int TrainExamples { get; init; }
    public required int EvalExamples { get; init; }
    public required int Steps { get; init; }
    public required bool Completed { get; init; }
    public required double FinalTrainLoss { get; init; }
    public double? FinalEvalLoss { get; init; }
    public required double TokensPerSecond { get; init; }
    public required double Seconds { get; init; }
    public required long TrainableParameters { get; init; }
    public required IReadOnlyList<LossPoint> TrainLoss { get; init; }
    public required IReadOnlyList<LossPoint> EvalLoss { get; init; }
}
