using Tsuzumi.Inference.Generation;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Generation;

/// <summary>The sampling chain on crafted logits, where the right answer can be worked out by hand.</summary>
public sealed class SamplerTests
{
    // Probabilities 0.5, 0.3, 0.15, 0.05 at temperature 1.
    private static readonly float[] FourWay = [MathF.Log(0.5f), MathF.Log(0.3f), MathF.Log(0.15f), MathF.Log(0.05f)];

    private static HashSet<int> Drawn(SamplingOptions options, float[] logits, int draws = 2000)
    {
        var sampler = new Sampler(options);
        return Enumerable.Range(0, draws).Select(_ => sampler.Next(logits, [])).ToHashSet();
    }

    [Fact]
    public void Temperature_zero_is_argmax_whatever_else_is_set()
    {
        float[] logits = [0.1f, 2.5f, 2.4f, -3f];
        var sampler = new Sampler(new SamplingOptions { Temperature = 0, TopK = 3, TopP = 0.2f, MinP = 0.3f, Seed = 9 });
        for (var i = 0; i < 50; i++) Assert.Equal(1, sampler.Next(logits, []));
    }

    [Fact]
    public void Top_k_1_is_greedy_at_any_temperature_and_seed()
    {
        for (var seed = 0; seed < 20; seed++)
            Assert.Equal([0], Drawn(new SamplingOptions { Temperature = 5f, TopK = 1, Seed = seed }, FourWay, 100));
    }

    [Fact]
    public void Top_k_keeps_exactly_the_k_most_likely()
    {
        Assert.Equal([0, 1], Drawn(new SamplingOptions { Temperature = 1, TopK = 2 }, FourWay).Order());
    }

    [Fact]
    public void Top_p_keeps_the_smallest_set_reaching_p()
    {
        // 0.5 < 0.7 ≤ 0.5 + 0.3: the two most likely tokens, and both are drawn.
        Assert.Equal([0, 1], Drawn(new SamplingOptions { Temperature = 1, TopP = 0.7f }, FourWay).Order());
        // 0.5 + 0.3 < 0.9 ≤ 0.95: three.
        Assert.Equal([0, 1, 2], Drawn(new SamplingOptions { Temperature = 1, TopP = 0.9f }, FourWay).Order());
    }

    [Fact]
    public void Min_p_drops_tokens_below_the_fraction_of_the_best()
    {
        // min-p 0.5 keeps p ≥ 0.25: tokens 0 and 1; min-p 0.2 keeps p ≥ 0.1: also token 2.
        Assert.Equal([0, 1], Drawn(new SamplingOptions { Temperature = 1, MinP = 0.5f }, FourWay).Order());
        Assert.Equal([0, 1, 2], Drawn(new SamplingOptions { Temperature = 1, MinP = 0.2f }, FourWay).Order());
    }

    [Fact]
    public void Draws_follow_the_tempered_softmax()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 2f, Seed = 3 });
        const int draws = 40_000;
        var counts = new int[4];
        for (var i = 0; i < draws; i++) counts[sampler.Next(FourWay, [])]++;
        // softmax(log p / 2) ∝ √p.
        var roots = new[] { 0.5, 0.3, 0.15, 0.05 }.Select(Math.Sqrt).ToArray();
        for (var id = 0; id < 4; id++) Assert.InRange(counts[id] / (double)draws, roots[id] / roots.Sum() - 0.01, roots[id] / roots.Sum() + 0.01);
    }

    [Fact]
    public void The_same_seed_repeats_and_another_seed_differs()
    {
        var uniform = new float[50];
        int[] Run(int seed)
        {
            var sampler = new Sampler(new SamplingOptions { Temperature = 1, Seed = seed });
            return Enumerable.Range(0, 40).Select(_ => sampler.Next(uniform, [])).ToArray();
        }
        Assert.Equal(Run(1), Run(1));
        Assert.NotEqual(Run(1), Run(2));
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_recent_tokens()
    {
        var greedy = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 1.5f });
        // 2.0 / 1.5 = 1.33 < 1.9: the repeated token loses its lead.
        Assert.Equal(1, greedy.Next([2.0f, 1.9f, -1f], [0]));
        Assert.Equal(0, greedy.Next([2.0f, 1.9f, -1f], [2]));
        // -1 · 1.5 = -1.5 < -1.4: a negative logit is pushed further down (dividing it would have raised it to -0.67).
        Assert.Equal(2, greedy.Next([-5f, -1.4f, -1f], []));
        Assert.Equal(1, greedy.Next([-5f, -1.4f, -1f], [2]));
        // Outside the window the token is not penalised.
        var windowed = new Sampler(new SamplingOptions { Temperature = 0, RepetitionPenalty = 1.5f, RepetitionWindow = 1 });
        Assert.Equal(0, windowed.Next([2.0f, 1.9f, -1f], [0, 2]));
    }

    [Fact]
    public void Log_probability_equals_log_softmax()
    {
        var random = new Random(5);
        var logits = Enumerable.Range(0, 300).Select(_ => (float)(random.NextDouble() * 40 - 20)).ToArray();
        using var expected = tensor(logits).log_softmax(0);
        var reference = expected.data<float>().ToArray();
        foreach (var id in new[] { 0, 17, 150, 299, Sampler.ArgMax(logits) })
            Assert.Equal(reference[id], Sampler.LogProbability(logits, id), 1e-4f);
    }

    [Fact]
    public void Argmax_takes_the_first_of_equal_values()
    {
        Assert.Equal(1, Sampler.ArgMax([0f, 3f, 3f, 1f]));
    }

    private static readonly (string Parameter, SamplingOptions Options)[] Invalid =
    [
        ("Temperature", new SamplingOptions { Temperature = -0.1f }),
        ("Temperature", new SamplingOptions { Temperature = float.NaN }),
        ("TopK", new SamplingOptions { TopK = -1 }),
        ("TopP", new SamplingOptions { TopP = 0f }),
        ("TopP", new SamplingOptions { TopP = 1.5f }),
        ("MinP", new SamplingOptions { MinP = 1f }),
        ("RepetitionPenalty", new SamplingOptions { RepetitionPenalty = 0f }),
        ("RepetitionWindow", new SamplingOptions { RepetitionWindow = -1 }),
    ];

    [Fact]
    public void Impossible_options_are_refused_by_name()
    {
        foreach (var (parameter, options) in Invalid)
        {
            var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(options));
            Assert.Equal(parameter, error.ParamName);
        }
    }
}
