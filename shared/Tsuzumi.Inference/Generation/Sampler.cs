namespace Tsuzumi.Inference.Generation;

/// <summary>
/// Picks the next token from fp32 logits. The chain follows llama.cpp's default order:
/// repetition penalty → top-k → top-p → min-p → temperature → draw. Seeded, so runs reproduce.
/// </summary>
public sealed class Sampler
{
    private readonly SamplingOptions options;
    private readonly Random random;

    public Sampler(SamplingOptions options)
    {
        options.Validate();
        this.options = options;
        random = new Random(options.Seed);
    }

    /// <summary>The chosen id. <paramref name="recentTokens"/> feeds the repetition penalty.</summary>
    public int Next(ReadOnlySpan<float> logits, IReadOnlyList<int> recentTokens)
    {
        var scores = logits.ToArray();
        ApplyRepetitionPenalty(scores, recentTokens);
        if (options.Temperature == 0) return ArgMax(scores);

        // Candidates sorted by score, most likely first.
        var candidates = Enumerable.Range(0, scores.Length).Where(id => !float.IsNegativeInfinity(scores[id])).ToArray();
        Array.Sort(candidates, (a, b) => scores[b].CompareTo(scores[a]));
        if (options.TopK > 0 && candidates.Length > options.TopK) candidates = candidates[..options.TopK];

        var probabilities = Softmax(candidates.Select(id => scores[id]).ToArray());
        var keep = candidates.Length;
        if (options.TopP < 1)
        {
            double cumulative = 0;
            for (var i = 0; i < probabilities.Length; i++)
            {
                cumulative += probabilities[i];
                if (cumulative >= options.TopP) { keep = i + 1; break; }
            }
        }
        if (options.MinP > 0)
        {
            var threshold = probabilities[0] * options.MinP;
            var aboveMinP = probabilities.TakeWhile(probability => probability >= threshold).Count();
            keep = Math.Min(keep, Math.Max(1, aboveMinP));
        }
        candidates = candidates[..keep];

        var tempered = Softmax(candidates.Select(id => scores[id] / options.Temperature).ToArray());
        var draw = random.NextDouble();
        double sum = 0;
        for (var i = 0; i < tempered.Length; i++)
        {
            sum += tempered[i];
            if (draw < sum) return candidates[i];
        }
        return candidates[^1];
    }

    private void ApplyRepetitionPenalty(float[] scores, IReadOnlyList<int> recentTokens)
    {
        if (options.RepetitionPenalty == 1 || options.RepetitionWindow == 0) return;
        var seen = new HashSet<int>();
        for (var i = Math.Max(0, recentTokens.Count - options.RepetitionWindow); i < recentTokens.Count; i++)
        {
            var id = recentTokens[i];
            if ((uint)id >= (uint)scores.Length || !seen.Add(id)) continue;
            scores[id] = scores[id] > 0 ? scores[id] / options.RepetitionPenalty : scores[id] * options.RepetitionPenalty;
        }
    }

    /// <summary>Index of the largest value; the first on ties (llama.cpp's greedy sampler does the same).</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best]) best = i;
        }
        return best;
    }

    /// <summary>log softmax(logits)[id], computed stably in double precision.</summary>
    public static float LogProbability(ReadOnlySpan<float> logits, int id)
    {
        var max = logits[ArgMax(logits)];
        double sum = 0;
        foreach (var logit in logits) sum += Math.Exp(logit - max);
        return (float)(logits[id] - max - Math.Log(sum));
    }

    private static double[] Softmax(float[] values)
    {
        var max = values.Length == 0 ? 0 : values.Max();
        var exponentials = values.Select(value => Math.Exp(value - max)).ToArray();
        var sum = exponentials.Sum();
        return exponentials.Select(value => value / sum).ToArray();
    }
}
