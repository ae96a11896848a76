namespace Tsuzumi.Nano.Tokenization;

/// <summary>Settings of <see cref="BpeTrainer"/>.</summary>
/// <param name="VocabularySize">Total size: special tokens, 256 byte tokens, base characters and merged pieces.</param>
/// <param name="MinCharacterCount">Characters seen fewer times are left to byte fallback.</param>
/// <param name="MinMergeCount">Training stops when the most frequent pair is rarer than this.</param>
/// <param name="MaxPieceLength">Longest merged piece in UTF-16 units: without it, Japanese (no spaces) and templated text
/// grow whole sentences into single tokens, which a small model can only memorise, not compose.</param>
public sealed record BpeTrainingOptions(int VocabularySize = 4096, int MinCharacterCount = 2, int MinMergeCount = 2, int MaxPieceLength = 10);

/// <summary>A trained vocabulary (index = id) and the merges in rank order.</summary>
public sealed record TrainedBpe(IReadOnlyList<string> Vocabulary, IReadOnlyList<(string Left, string Right)> Merges, int SpecialTokenCount);

/// <summary>
/// Trains a SentencePiece-style byte-fallback BPE: spaces become ▁, text is split into words that start at a ▁ (the same
/// split as the Metaspace pre-tokenizer the tokenizer uses), the base alphabet is every character seen at least
/// <see cref="BpeTrainingOptions.MinCharacterCount"/> times, and the most frequent adjacent pair is merged until the
/// vocabulary is full. Punctuation never merges (as SentencePiece splits it off), and pieces stay within
/// <see cref="BpeTrainingOptions.MaxPieceLength"/>. Ties go to the lower ids, so training is deterministic.
/// Hand-written (HF tokenizers' trainer is Rust/Python only): pair counts are updated incrementally, touching only the words
/// that contain the merged pair.
/// </summary>
public static class BpeTrainer
{
    public const char Space = '\u2581';

    /// <summary>Special tokens at ids 0..4, in this order; the 256 byte tokens &lt;0x00&gt;..&lt;0xFF&gt; follow.</summary>
    public static IReadOnlyList<string> SpecialTokens { get; } = ["<unk>", "<s>", "</s>", "<|im_start|>", "<|im_end|>"];

    public static TrainedBpe Train(IEnumerable<string> texts, BpeTrainingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(texts);
        options ??= new BpeTrainingOptions();
        var fixedCount = SpecialTokens.Count + 256;
        if (options.VocabularySize <= fixedCount + 1)
            throw new ArgumentOutOfRangeException(nameof(options), $"the vocabulary needs more than {fixedCount + 1} entries (specials, bytes and ▁)");

        var words = CountWords(texts);

        // Base alphabet: ▁ first, then characters by falling frequency; what does not fit falls back to bytes.
        var characterCounts = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var (word, count) in words)
            foreach (var character in Characters(word))
                characterCounts[character] = characterCounts.GetValueOrDefault(character) + count;
        var vocabulary = new List<string>(options.VocabularySize);
        vocabulary.AddRange(SpecialTokens);
        for (var b = 0; b < 256; b++) vocabulary.Add($"<0x{b:X2}>");
        vocabulary.Add(Space.ToString());
        vocabulary.AddRange(characterCounts
            .Where(entry => entry.Value >= options.MinCharacterCount && entry.Key != Space.ToString())
            .OrderByDescending(entry => entry.Value).ThenBy(entry => entry.Key, StringComparer.Ordinal)
            .Select(entry => entry.Key)
            .Take(options.VocabularySize - vocabulary.Count));
        var ids = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var id = 0; id < vocabulary.Count; id++) ids.TryAdd(vocabulary[id], id);

        // Words become id sequences; punctuation and characters outside the alphabet (byte fallback) cannot merge, so they split the word.
        var sequences = new List<int[]>();
        var frequencies = new List<long>();
        foreach (var (word, count) in words)
        {
            var run = new List<int>();
            foreach (var character in Characters(word))
            {
                if (ids.TryGetValue(character, out var id) && id >= fixedCount && !IsPunctuation(character)) { run.Add(id); continue; }
                Flush();
            }
            Flush();

            void Flush()
            {
                if (run.Count >= 2) { sequences.Add([.. run]); frequencies.Add(count); }
                run.Clear();
            }
        }

        var pairCounts = new Dictionary<(int, int), long>();
        var pairWords = new Dictionary<(int, int), HashSet<int>>();
        for (var w = 0; w < sequences.Count; w++) AddPairs(w, +1);
        var queue = new PriorityQueue<(int Left, int Right), (long NegativeCount, int Left, int Right)>();
        foreach (var (pair, count) in pairCounts) queue.Enqueue(pair, (-count, pair.Item1, pair.Item2));

        var merges = new List<(string, string)>();
        var tooLong = new HashSet<(int, int)>();
        while (vocabulary.Count < options.VocabularySize && queue.TryDequeue(out var best, out var priority))
        {
            // Entries go stale when a pair's count changes; the fresh entry was queued at that time.
            if (pairCounts.GetValueOrDefault(best) != -priority.NegativeCount) continue;
            if (-priority.NegativeCount < options.MinMergeCount) break;

            var merged = vocabulary[best.Left] + vocabulary[best.Right];
            if (merged.Length > options.MaxPieceLength)
            {
                tooLong.Add(best);
                continue;
            }
            if (!ids.TryGetValue(merged, out var mergedId))
            {
                mergedId = vocabulary.Count;
                vocabulary.Add(merged);
                ids[merged] = mergedId;
            }
            merges.Add((vocabulary[best.Left], vocabulary[best.Right]));

            var changed = new HashSet<(int, int)>();
            foreach (var w in pairWords[best].Order().ToArray())
            {
                AddPairs(w, -1, changed);
                sequences[w] = MergeIn(sequences[w], best, mergedId);
                AddPairs(w, +1, changed);
            }
            pairWords.Remove(best);
            pairCounts.Remove(best);
            foreach (var pair in changed.Order())
                if (!tooLong.Contains(pair) && pairCounts.TryGetValue(pair, out var count) && count > 0) queue.Enqueue(pair, (-count, pair.Item1, pair.Item2));
        }
        return new TrainedBpe(vocabulary, merges, SpecialTokens.Count);

        void AddPairs(int w, int sign, HashSet<(int, int)>? changed = null)
        {
            var sequence = sequences[w];
            for (var i = 0; i + 1 < sequence.Length; i++)
            {
                var pair = (sequence[i], sequence[i + 1]);
                var count = pairCounts.GetValueOrDefault(pair) + sign * frequencies[w];
                if (count <= 0) pairCounts.Remove(pair); else pairCounts[pair] = count;
                if (sign > 0)
                {
                    if (!pairWords.TryGetValue(pair, out var where)) pairWords[pair] = where = [];
                    where.Add(w);
                }
                changed?.Add(pair);
            }
        }
    }

    /// <summary>Words as the Metaspace pre-tokenizer splits them: spaces → ▁, a ▁ in front, a new word at every ▁.</summary>
    internal static Dictionary<string, long> CountWords(IEnumerable<string> texts)
    {
        var words = new Dictionary<string, long>(StringComparer.Ordinal);
        foreach (var text in texts)
        {
            foreach (var line in text.Split('\n'))
            {
                if (line.Length == 0) continue;
                var marked = line.Replace(' ', Space);
                if (marked[0] != Space) marked = Space + marked;
                var start = 0;
                for (var i = 1; i <= marked.Length; i++)
                {
                    if (i < marked.Length && marked[i] != Space) continue;
                    var word = marked[start..i];
                    words[word] = words.GetValueOrDefault(word) + 1;
                    start = i;
                }
            }
        }
        return words;
    }

    private static bool IsPunctuation(string character) => character.Length == 1 && char.IsPunctuation(character[0]);

    /// <summary>Characters as the BPE model sees them: a surrogate pair is one character.</summary>
    internal static IEnumerable<string> Characters(string text)
    {
        for (var i = 0; i < text.Length;)
        {
            var length = char.IsHighSurrogate(text[i]) && i + 1 < text.Length ? 2 : 1;
            yield return text.Substring(i, length);
            i += length;
        }
    }

    private static int[] MergeIn(int[] sequence, (int Left, int Right) pair, int mergedId)
    {
        var result = new List<int>(sequence.Length);
        for (var i = 0; i < sequence.Length; i++)
        {
            if (i + 1 < sequence.Length && sequence[i] == pair.Left && sequence[i + 1] == pair.Right)
            {
                result.Add(mergedId);
                i++;
            }
            else result.Add(sequence[i]);
        }
        return [.. result];
    }
}
