using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Inference.Training;

/// <summary>
/// The answer tokens of a training set that a base model never saw in pretraining. Their (tied) embedding rows were
/// never trained, so their logits sit far below every other token's and only an output-head adapter can lift them;
/// restricting that adapter to these rows (<see cref="TrainingOptions.HeadTokens"/>) leaves every other logit alone.
/// </summary>
public static class UnseenVocabulary
{
    /// <summary>
    /// Target tokens of <paramref name="examples"/> that never occur in the pretraining stream read from
    /// <paramref name="pretrainingPaths"/> exactly as <c>tsuzumi pretrain</c> reads it: a folder stands for its
    /// <c>*.txt</c> files, a <c>.jsonl</c> file for its question-answer pairs, any other file for its text. BOS and EOS
    /// are never counted as unseen: every pretraining document has them.
    /// </summary>
    /// <exception cref="TrainingDataException">A path is missing or holds no text.</exception>
    public static IReadOnlyList<int> Find(IEnumerable<TrainingExample> examples, ITokenizer tokenizer, IReadOnlyList<string> pretrainingPaths)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(pretrainingPaths);
        var textFiles = new List<string>();
        var qaFiles = new List<string>();
        foreach (var path in pretrainingPaths)
        {
            if (Directory.Exists(path)) textFiles.AddRange(PretrainingCorpus.TextFiles(path));
            else if (!File.Exists(path)) throw new TrainingDataException(path, 0, "not found");
            else if (path.EndsWith(".jsonl", StringComparison.OrdinalIgnoreCase)) qaFiles.Add(path);
            else textFiles.Add(path);
        }
        var seen = PretrainingCorpus.Load(textFiles, qaFiles, tokenizer).Tokens.ToHashSet();
        return examples
            .SelectMany(example => example.Tokens.Where((_, position) => example.LossMask[position]))
            .Where(token => !seen.Contains(token) && token != tokenizer.BosId && token != tokenizer.EosId)
            .Distinct().Order().ToArray();
    }
}
