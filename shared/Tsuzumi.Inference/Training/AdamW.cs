using System.Globalization;
using Tsuzumi.Inference.Formats.Safetensors;
using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// AdamW (Loshchilov and Hutter, decoupled weight decay): the update of TorchSharp's <c>optim.AdamW</c>, operation for
/// operation, so training results are unchanged. Written here because TorchSharp 0.107's step makes about eight
/// Scalars per parameter that nothing holds: a collection on another thread can free one while libtorch reads it,
/// and the step then uses a wrong β or step size (docs/decisions/0020-scalar-lifetime.md). Here every Scalar is held
/// for the call. The moments are saved as safetensors, which a resumed run reads back strictly.
/// </summary>
public sealed class AdamW : IDisposable
{
    private const string StepsKey = "steps";
    private readonly IReadOnlyList<AdamWGroup> groups;
    private readonly Parameter[] parameters;
    private readonly Tensor[] firstMoments;  // exp_avg, one per parameter, its shape
    private readonly Tensor[] secondMoments; // exp_avg_sq
    private readonly long[] steps;
    private readonly double beta1, beta2, epsilon;

    public AdamW(IReadOnlyList<AdamWGroup> groups, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double epsilon = 1e-8)
    {
        if (learningRate < 0) throw new ArgumentOutOfRangeException(nameof(learningRate), learningRate, "the learning rate must not be negative");
        if (beta1 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta1), beta1, "β1 must be in [0, 1)");
        if (beta2 is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(beta2), beta2, "β2 must be in [0, 1)");
        if (epsilon < 0) throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must not be negative");
        foreach (var group in groups)
            if (group.WeightDecay < 0) throw new ArgumentOutOfRangeException(nameof(groups), group.WeightDecay, "weight decay must not be negative");
        this.groups = groups;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
        LearningRate = learningRate;
        parameters = [.. groups.SelectMany(group => group.Parameters)];
        firstMoments = [.. parameters.Select(parameter => zeros_like(parameter))];
        secondMoments = [.. parameters.Select(parameter => zeros_like(parameter))];
        steps = new long[parameters.Length];
    }

    /// <summary>The rate of the next <see cref="Step"/>, for every group (the schedule sets it before each step).</summary>
    public double LearningRate { get; set; }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        using var momentumKeep = beta1.ToScalar();
        using var momentumTake = (1 - beta1).ToScalar();
        using var varianceKeep = beta2.ToScalar();
        using var varianceTake = (1 - beta2).ToScalar();
        using var epsilonScalar = epsilon.ToScalar();
        using var one = 1.ToScalar();
        var index = 0;
        foreach (var group in groups)
        {
            using var decay = (1 - LearningRate * group.WeightDecay).ToScalar();
            foreach (var parameter in group.Parameters)
            {
                var i = index++;
                var grad = parameter.grad;
                if (grad is null) continue;
                var step = ++steps[i];
                var biasCorrection1 = 1 - Math.Pow(beta1, step);
                var biasCorrection2 = 1 - Math.Pow(beta2, step);
                using var varianceScale = Math.Sqrt(biasCorrection2).ToScalar();
                using var stepSize = (-LearningRate / biasCorrection1).ToScalar();

                parameter.mul_(decay);
                firstMoments[i].mul_(momentumKeep).add_(grad, momentumTake);
                secondMoments[i].mul_(varianceKeep).addcmul_(grad, grad, varianceTake);
                var denominator = secondMoments[i].sqrt().div_(varianceScale).add_(epsilonScalar, one);
                parameter.addcdiv_(firstMoments[i], denominator, stepSize);
            }
        }
    }

    /// <summary>Zeroes every gradient in place, ready for the next accumulation.</summary>
    public void ZeroGrad()
    {
        foreach (var parameter in parameters)
        {
            using var grad = parameter.grad;
            grad?.zero_();
        }
    }

    /// <summary>The file in a checkpoint folder that holds the optimizer's state.</summary>
    public const string CheckpointFileName = "optimizer.safetensors";

    /// <summary>
    /// Writes the moments and step counts into a checkpoint folder, as safetensors (<c>exp_avg.{i}</c>,
    /// <c>exp_avg_sq.{i}</c>, parameters in order).
    /// </summary>
    public void SaveInto(string checkpointDirectory) =>
        SafetensorsWriter.Write(Path.Combine(checkpointDirectory, CheckpointFileName),
            Enumerable.Range(0, parameters.Length).SelectMany(i => new[]
            {
                Moment($"exp_avg.{i}", firstMoments[i]),
                Moment($"exp_avg_sq.{i}", secondMoments[i]),
            }),
            new Dictionary<string, string> { [StepsKey] = string.Join(',', steps.Select(step => step.ToString(CultureInfo.InvariantCulture))) });

    /// <summary>Reads what <see cref="SaveInto"/> wrote; state for other parameters (count or shapes) is refused by name.</summary>
    public void RestoreFrom(string checkpointDirectory)
    {
        var path = Path.Combine(checkpointDirectory, CheckpointFileName);
        if (!File.Exists(path))
            throw new IOException($"{checkpointDirectory} has no {CheckpointFileName} (a checkpoint of an earlier version keeps TorchSharp's optimizer.bin); delete it to start over");
        using var file = SafetensorsFile.Open(path);
        var savedSteps = file.Metadata.TryGetValue(StepsKey, out var text) ? text.Split(',') : [];
        if (savedSteps.Length != parameters.Length || file.Tensors.Count != 2 * parameters.Length)
            throw new IOException($"{path}: the optimizer state is for {savedSteps.Length} parameters, this run trains {parameters.Length}");
        using var noGrad = no_grad();
        for (var i = 0; i < parameters.Length; i++)
        {
            if (!long.TryParse(savedSteps[i], NumberStyles.None, CultureInfo.InvariantCulture, out var step))
                throw new IOException($"{path}: step count '{savedSteps[i]}' of parameter {i} is not a number");
            Restore(file, $"exp_avg.{i}", firstMoments[i]);
            Restore(file, $"exp_avg_sq.{i}", secondMoments[i]);
            steps[i] = step;
        }
    }

    public void Dispose()
    {
        foreach (var moment in firstMoments.Concat(secondMoments)) moment.Dispose();
    }

    private static SafetensorsTensorToWrite Moment(string name, Tensor moment) =>
        new(name, moment.shape, SafetensorsDtype.F32, () => moment.contiguous().data<float>().ToArray());

    private static void Restore(SafetensorsFile file, string name, Tensor moment)
    {
        if (!file.Contains(name)) throw new IOException($"{file.Path}: the optimizer state has no {name}");
        var saved = file.GetTensor(name);
        if (!saved.Shape.SequenceEqual(moment.shape))
            throw new IOException($"{file.Path}: {name} is [{string.Join(", ", saved.Shape)}], this run's parameter is [{string.Join(", ", moment.shape)}]");
        using var values = tensor(file.ReadFloat32(name), moment.shape);
        moment.copy_(values);
    }
}

/// <summary>Parameters that share a weight decay (the pretrainer decays matrices and not norms).</summary>
public sealed record AdamWGroup(IReadOnlyList<Parameter> Parameters, double WeightDecay);
