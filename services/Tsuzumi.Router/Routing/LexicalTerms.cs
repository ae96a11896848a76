namespace Tsuzumi.Router.Routing;

/// <summary>
/// One lexical term of a text: a 64-bit hash of its characters and kind, how much it counts, and where it lies (first
/// character and length, in the text as the kana readings rewrote it; <paramref name="SpansKana"/> when a Japanese gram
/// reaches into hiragana), so that terms of one word can be told from terms of different words.
/// </summary>
internal readonly record struct LexicalTerm(ulong Key, float Weight, int Start, int Length, bool SpansKana = false);

/// <summary>
/// Splits normalised text into the terms the BM25 index counts, without allocating a string per term. Japanese has no
/// spaces and rich compounds, so runs of kana and kanji give character bigrams and trigrams (and kanji unigrams, which
/// carry meaning on their own: 税, 薬, 株); Latin runs give a lightly stemmed word and, for long words, a five-letter
/// prefix so that medicine / medical / medication meet.
/// </summary>
internal static class LexicalTerms
{
    private const float KanjiUnigramWeight = 0.5f;
    private const float PrefixWeight = 0.5f;
    private const int PrefixLength = 5;
    private const float KatakanaGramWeight = 0.5f;

    // A katakana word this long or longer may be a compound of loanwords (インデックスファンド, ヘルプデスク), whose
    // grams meet its parts; a shorter one is a single loanword, whose grams would only meet look-alikes
    // (リスト and リスク on リス, コード and コードネーム, ルール and アルコール).
    private const int CompoundLoanwordLength = 5;

    private enum Kind : byte { Word = 1, Prefix, Unigram, Bigram, Trigram, Katakana }

    /// <summary>
    /// Appends the terms of <paramref name="normalizedText"/> (see <see cref="QueryText.Normalize"/>) to
    /// <paramref name="terms"/>, after reading kana words as the catalog's kanji (<see cref="KanaReadings"/>), and
    /// returns that rewritten text: the one the terms' positions refer to.
    /// </summary>
    public static string Extract(string normalizedText, List<LexicalTerm> terms)
    {
        var rewritten = KanaReadings.Rewrite(normalizedText);
        ReadOnlySpan<char> normalized = rewritten;
        var start = 0;
        while (start < normalized.Length)
        {
            var script = QueryText.Classify(normalized[start]);
            var end = start + 1;
            while (end < normalized.Length && QueryText.Classify(normalized[end]) == script) end++;
            var run = normalized[start..end];
            switch (script)
            {
                case ScriptClass.Latin: AddWord(run, start, terms); break;
                case ScriptClass.Cjk: AddJapaneseRun(run, start, terms); break;
            }
            start = end;
        }
        return rewritten;
    }

    /// <summary>Splits a Japanese run at request phrases (教えて, 方法, 場合…) and counts the pieces between them.</summary>
    private static void AddJapaneseRun(ReadOnlySpan<char> run, int offset, List<LexicalTerm> terms)
    {
        var pieceStart = 0;
        var i = 0;
        while (i < run.Length)
        {
            var phraseLength = RequestPhraseAt(run[i..]);
            if (phraseLength == 0)
            {
                i++;
                continue;
            }
            if (i > pieceStart) AddCharacterGrams(run[pieceStart..i], offset + pieceStart, terms);
            i += phraseLength;
            pieceStart = i;
        }
        if (run.Length > pieceStart) AddCharacterGrams(run[pieceStart..], offset + pieceStart, terms);
    }

    private static int RequestPhraseAt(ReadOnlySpan<char> text)
    {
        foreach (var phrase in RequestPhrases)
        {
            if (text.StartsWith(phrase)) return phrase.Length;
        }
        return 0;
    }

    // How a Japanese question is asked, written in kanji so the hiragana rule below does not catch it: 方法 or 教えて
    // say nothing about the domain, yet are rare enough in the examples to look like strong evidence. Longest first.
    private static readonly string[] RequestPhrases =
    [
        "教えてください", "教えて", "知りたい", "方法", "やり方", "仕方", "取り方", "場合", "理由", "違い", "意味", "大丈夫",
        "必要", "可能", "具体的", "簡単", "説明", "一番", "以上", "以下",
    ];

    private static void AddWord(ReadOnlySpan<char> word, int offset, List<LexicalTerm> terms)
    {
        if (StopWords.GetAlternateLookup<ReadOnlySpan<char>>().Contains(word)) return;
        var stem = Stem(word);
        terms.Add(new LexicalTerm(Hash(Kind.Word, stem), 1f, offset, word.Length));
        if (stem.Length > PrefixLength + 1) terms.Add(new LexicalTerm(Hash(Kind.Prefix, stem[..PrefixLength]), PrefixWeight, offset, word.Length));
    }

    private static void AddCharacterGrams(ReadOnlySpan<char> run, int offset, List<LexicalTerm> terms)
    {
        var katakanaWordLength = 0; // of the katakana word the position is in (or last passed)
        for (var i = 0; i < run.Length; i++)
        {
            if (QueryText.IsKanji(run[i])) terms.Add(new LexicalTerm(Hash(Kind.Unigram, run.Slice(i, 1)), KanjiUnigramWeight, offset + i, 1));
            if (Kana.IsKatakana(run[i]) && (i == 0 || !Kana.IsKatakana(run[i - 1]))) katakanaWordLength = AddKatakanaWord(run[i..], offset + i, terms);
            var insideOneLoanword = katakanaWordLength < CompoundLoanwordLength;
            for (var length = 2; length <= 3 && i + length <= run.Length; length++)
            {
                var gram = run.Slice(i, length);
                var katakanaOnly = IsKatakanaOnly(gram);
                if (!CarriesContent(gram) || insideOneLoanword && katakanaOnly) continue;
                terms.Add(new LexicalTerm(Hash(length == 2 ? Kind.Bigram : Kind.Trigram, gram), katakanaOnly ? KatakanaGramWeight : 1f, offset + i, length, HasHiragana(gram)));
            }
        }
    }

    /// <summary>
    /// A run of katakana is one loanword (or a compound of them): it counts whole, so リスト and リスク, or エベレスト
    /// and ストレス, no longer meet on a shared bigram as strongly as on a shared word. The grams inside a long one still
    /// count, less, so that インデックスファンド meets アクティブファンド. Returns the run's length.
    /// </summary>
    private static int AddKatakanaWord(ReadOnlySpan<char> text, int offset, List<LexicalTerm> terms)
    {
        var length = 0;
        while (length < text.Length && Kana.IsKatakana(text[length])) length++;
        if (length >= 2) terms.Add(new LexicalTerm(Hash(Kind.Katakana, text[..length]), 1f, offset, length));
        return length;
    }

    private static bool HasHiragana(ReadOnlySpan<char> gram)
    {
        foreach (var c in gram)
        {
            if (Kana.IsHiragana(c)) return true;
        }
        return false;
    }

    private static bool IsKatakanaOnly(ReadOnlySpan<char> gram)
    {
        foreach (var c in gram)
        {
            if (!Kana.IsKatakana(c)) return false;
        }
        return true;
    }

    /// <summary>
    /// Grams of hiragana alone are particles and endings (です, とは, ますか): they say how a question is asked, not
    /// what it is about. Content is written in kanji and katakana; but a gram of kana that runs from a loanword into a
    /// particle (ルを, ーの, のル) is the seam between two words, and met the catalog by chance (アルコールを).
    /// </summary>
    private static bool CarriesContent(ReadOnlySpan<char> gram)
    {
        bool hiragana = false, katakana = false, other = false;
        foreach (var c in gram)
        {
            if (Kana.IsHiragana(c)) hiragana = true;
            else if (Kana.IsKatakana(c)) katakana = true;
            else other = true;
        }
        return other || katakana && !hiragana;
    }

    // Function words of English questions; BM25's IDF would damp them, but they still dilute the normalised score.
    private static readonly System.Collections.Frozen.FrozenSet<string> StopWords = System.Collections.Frozen.FrozenSet.ToFrozenSet(
    [
        "a", "an", "the", "is", "are", "was", "were", "be", "been", "am", "do", "does", "did", "what", "whats", "which", "who",
        "whom", "how", "why", "when", "where", "i", "me", "my", "we", "our", "you", "your", "it", "its", "this", "that",
        "these", "those", "of", "to", "in", "on", "at", "for", "from", "by", "with", "about", "and", "or", "if", "can",
        "could", "should", "would", "will", "shall", "may", "might", "must", "there", "s", "t", "so", "as", "than",
        "then", "into", "any", "some", "get", "much", "many", "please", "tell", "explain", "know", "need",
    ], StringComparer.Ordinal);

    /// <summary>Plural and verb endings only: enough for routing, no dictionary needed.</summary>
    internal static ReadOnlySpan<char> Stem(ReadOnlySpan<char> word)
    {
        if (word.Length > 4 && word.EndsWith("ies")) return word[..^3]; // policies → polic (policy → polic below)
        if (word.Length > 3 && word.EndsWith('y')) return word[..^1];
        if (word.Length > 4 && (word.EndsWith("ches") || word.EndsWith("shes") || word.EndsWith("xes") || word.EndsWith("sses"))) return word[..^2];
        if (word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss") && !word.EndsWith("us") && !word.EndsWith("is")) word = word[..^1];
        if (word.Length > 5 && word.EndsWith("ing")) return word[..^3];
        if (word.Length > 4 && word.EndsWith("ed")) return word[..^2];
        if (word.Length > 4 && word.EndsWith('e')) return word[..^1];
        return word;
    }

    /// <summary>
    /// FNV-1a over the characters, seeded by the kind so that a word and a bigram with the same letters differ. Kana
    /// spellings were already unified by <see cref="KanaReadings.Rewrite"/> (ぱすわーど → パスワード, かぶ → 株).
    /// </summary>
    private static ulong Hash(Kind kind, ReadOnlySpan<char> text)
    {
        var hash = 14695981039346656037UL ^ (byte)kind;
        hash *= 1099511628211UL;
        foreach (var c in text)
        {
            hash ^= c;
            hash *= 1099511628211UL;
        }
        return hash;
    }
}
