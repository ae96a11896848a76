namespace Tsuzumi.Inference.Training;

/// <summary>Linear warm-up to the peak rate, then cosine decay to 10% of it (the usual LLM fine-tuning schedule).</summary>
public sealed class LearningRateSchedule(double peak, int totalSteps, int warmupSteps)
{
    private const double FloorFraction = 0.1;

    public double At(int step)
    {
        if (warmupSteps > 0 && step < warmupSteps) return peak * (step + 1) / warmupSteps;
        var decaySteps = Math.Max(1, totalSteps - warmupSteps);
        var progress = Math.Clamp((double)(step - warmupSteps) / decaySteps, 0, 1);
        return peak * (FloorFraction + (1 - FloorFraction) * 0.5 * (1 + Math.Cos(Math.PI * progress)));
    }
}
