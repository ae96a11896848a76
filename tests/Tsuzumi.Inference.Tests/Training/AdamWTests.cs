using Tsuzumi.Inference.Runtime;
using Tsuzumi.Inference.Tests.Runtime;
using Tsuzumi.Inference.Training;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Tsuzumi.Inference.Tests.Training;

/// <summary>Our AdamW takes TorchSharp's steps exactly, holds its Scalars under collections, and resumes from its file.</summary>
public sealed class AdamWTests : IDisposable
{
    private const double Beta1 = 0.85, Beta2 = 0.99, MatrixDecay = 0.1;
    private static readonly double[] Rates = [1e-2, 8e-3, 5e-3, 3e-3, 1e-3, 5e-4];
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-adamw-").FullName;

    [Fact]
    public void Its_steps_equal_torchsharps_adamw_bit_for_bit_with_two_decay_groups_and_a_changing_rate()
    {
        var ours = NewParameters();
        var theirs = NewParameters();
        using var optimizer = new AdamW([new AdamWGroup([ours[0]], MatrixDecay), new AdamWGroup([ours[1]], 0)], Rates[0], Beta1, Beta2);
        using var peer = optim.AdamW(
        [
            new TorchSharp.Modules.AdamW.ParamGroup([theirs[0]], Rates[0], Beta1, Beta2, 1e-8, MatrixDecay),
            new TorchSharp.Modules.AdamW.ParamGroup([theirs[1]], Rates[0], Beta1, Beta2, 1e-8, 0),
        ], Rates[0], Beta1, Beta2);

        for (var step = 0; step < Rates.Length; step++)
        {
            Backward(ours, step);
            optimizer.LearningRate = Rates[step];
            optimizer.Step();
            optimizer.ZeroGrad();
            Backward(theirs, step);
            foreach (var group in peer.ParamGroups) group.LearningRate = Rates[step];
            peer.step();
            peer.zero_grad();

            for (var i = 0; i < ours.Length; i++)
                Assert.True(Values(ours[i]).SequenceEqual(Values(theirs[i])), $"parameter {i} differs after step {step + 1}");
        }
        Assert.False(Values(ours[0]).SequenceEqual(Values(NewParameters()[0])), "the steps moved the parameters");
    }

    [Fact]
    public void Steps_on_two_threads_keep_their_result_while_another_thread_runs_collections_and_finalisers()
    {
        var expected = Trained();

        var (passes, failures) = CollectionPressure.UnderCollections(() =>
            Trained().SequenceEqual(expected) ? null : "a run under collections ended with other parameters");

        Assert.True(failures.Length == 0, $"after {passes} runs: {string.Join(" | ", failures)}");
        Assert.True(passes > 10, $"only {passes} runs");
    }

    [Fact]
    public void A_run_restored_from_its_checkpoint_continues_exactly_as_the_uninterrupted_run()
    {
        var uninterrupted = NewParameters();
        using var whole = NewOptimizer(uninterrupted);
        var interrupted = NewParameters();
        using (var first = NewOptimizer(interrupted))
        {
            for (var step = 0; step < 3; step++)
            {
                Train(whole, uninterrupted, step);
                Train(first, interrupted, step);
            }
            first.SaveInto(folder);
        }

        using var resumed = NewOptimizer(interrupted);
        resumed.RestoreFrom(folder);
        for (var step = 3; step < Rates.Length; step++)
        {
            Train(whole, uninterrupted, step);
            Train(resumed, interrupted, step);
        }

        for (var i = 0; i < uninterrupted.Length; i++)
            Assert.True(Values(uninterrupted[i]).SequenceEqual(Values(interrupted[i])), $"parameter {i} differs");
    }

    [Fact]
    public void A_checkpoint_for_other_parameters_or_of_an_earlier_version_is_refused_with_a_reason()
    {
        var parameters = NewParameters();
        using (var optimizer = NewOptimizer(parameters)) optimizer.SaveInto(folder);

        using var fewer = new AdamW([new AdamWGroup([NewParameters()[0]], MatrixDecay)], Rates[0]);
        Assert.Contains("for 2 parameters, this run trains 1", Assert.Throws<IOException>(() => fewer.RestoreFrom(folder)).Message);

        using var otherShape = new Parameter(zeros(4, 4));
        using var reshaped = new AdamW([new AdamWGroup([otherShape, NewParameters()[1]], MatrixDecay)], Rates[0]);
        Assert.Contains("exp_avg.0 is [4, 3]", Assert.Throws<IOException>(() => reshaped.RestoreFrom(folder)).Message);

        var earlier = Directory.CreateDirectory(Path.Combine(folder, "earlier")).FullName;
        File.WriteAllBytes(Path.Combine(earlier, "optimizer.bin"), [1, 2, 3]);
        using var fresh = NewOptimizer(NewParameters());
        Assert.Contains("optimizer.bin", Assert.Throws<IOException>(() => fresh.RestoreFrom(earlier)).Message);
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static float[] Trained()
    {
        var parameters = NewParameters();
        using var optimizer = NewOptimizer(parameters);
        for (var step = 0; step < Rates.Length; step++) Train(optimizer, parameters, step);
        var values = parameters.SelectMany(Values).ToArray();
        foreach (var parameter in parameters) parameter.Dispose();
        return values;
    }

    private static float[] Values(Parameter parameter) => parameter.data<float>().ToArray();

    private static AdamW NewOptimizer(Parameter[] parameters) =>
        new([new AdamWGroup([parameters[0]], MatrixDecay), new AdamWGroup([parameters[1]], 0)], Rates[0], Beta1, Beta2);

    private static void Train(AdamW optimizer, Parameter[] parameters, int step)
    {
        Backward(parameters, step);
        optimizer.LearningRate = Rates[step];
        optimizer.Step();
        optimizer.ZeroGrad();
    }

    /// <summary>A matrix and a vector, the same values for every call.</summary>
    private static Parameter[] NewParameters()
    {
        using var generator = new TorchSharp.torch.Generator(7);
        using var matrix = randn([4, 3], generator: generator);
        using var vector = randn([5], generator: generator);
        return [new Parameter(matrix.clone()), new Parameter(vector.clone())];
    }

    /// <summary>Gradients of a loss whose weights depend on the step only: Σ w·p + Σ p².</summary>
    private static void Backward(Parameter[] parameters, int step)
    {
        using var scope = NewDisposeScope();
        using var generator = new TorchSharp.torch.Generator(100 + (ulong)step);
        var loss = parameters
            .Select(parameter => parameter.mul(randn(parameter.shape, generator: generator)).sum().Plus(parameter.Squared().sum()))
            .Aggregate((left, right) => left.Plus(right));
        loss.backward();
    }
}
