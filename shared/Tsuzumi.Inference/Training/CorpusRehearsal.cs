using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// Rehearsal drawn from a base model's pretraining text: windows of the corpus token stream, cut exactly as pretraining
/// cut it (<see cref="PretrainingCorpus.Pack"/>) and sampled with the training seed, each trained with the language-model
/// loss on every token. Mixed into an adapter's data, they keep the adapter's correction small on everything the base
/// already knows — every domain of the corpus, not only the QA pairs of one — which is experience replay, the usual
/// remedy for forgetting in continual learning.
/// </summary>
public static class CorpusRehearsal
{
    /// <summary>Tokens per window: a few sentences, so that many windows spread over the corpus for the same cost.</summary>
    public const int WindowTokens = 64;

    /// <param name="paths">Text files (documents separated by blank lines) or folders of <c>*.txt</c>, read in name order.</param>
    /// <param name="windows">How many windows to draw (without replacement; all of them when the corpus has fewer).</param>
    /// <exception cref="TrainingDataException">A file is missing, empty or unreadable.</exception>
    public static IReadOnlyList<TrainingExample> Sample(IReadOnlyList<string> paths, ITokenizer tokenizer, int windows, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(windows, 1);
        var textFiles = new List<string>();
        foreach (var path in paths)
        {
            var found = PretrainingCorpus.TextFiles(path).ToArray();
            if (found.Length == 0) throw new TrainingDataException(path, 0, "the folder holds no *.txt files");
            textFiles.AddRange(found);
        }
        var packed = PretrainingCorpus.Load(textFiles, [], tokenizer).Pack(WindowTokens);
        var chosen = packed.Select((window, index) => (window, index)).ToArray();
        new Random(seed).Shuffle(chosen);
        // The first token of a window is context only, as in pretraining: every other token is a target.
        return chosen.Take(windows).OrderBy(pick => pick.index)
            .Select(pick => new TrainingExample(0, pick.window, pick.window.Select((_, position) => position > 0).ToArray()))
            .ToArray();
    }
}
