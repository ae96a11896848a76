using System.Text;
using Tsuzumi.Nano.Facts;

namespace Tsuzumi.Nano.Corpus;

/// <summary>
/// Builds the pretraining text of the base model: documents made of fact sentences in varied frames, the hand-written
/// passages, and (for general) counting and arithmetic drills. Only <see cref="NanoDomain.Base"/> domains are accepted:
/// org-acme is private knowledge for its adapter and must never reach the base model.
/// Documents are separated by one blank line; the output depends only on the seed.
/// </summary>
public sealed class CorpusGenerator(int seed)
{
    private static readonly string[] JapaneseFrames =
    [
        "{a}", "{q}\n{a}", "質問：{q}\n答え：{a}", "豆知識：{a}", "先生が「{q}」とたずねると、生徒は「{a}」と答えました。", "覚えておきましょう。{a}",
    ];

    private static readonly string[] EnglishFrames =
    [
        "{a}", "{q}\n{a}", "Q: {q}\nA: {a}", "Fun fact: {a}", "The teacher asked, \"{q}\" The student answered, \"{a}\"", "Remember this: {a}",
    ];

    private static readonly Dictionary<string, (string Japanese, string English)> Titles = new()
    {
        [NanoDomain.General] = ("いろいろな知識", "Everyday knowledge"),
        [NanoDomain.Finance] = ("お金の基礎知識", "Money basics"),
        [NanoDomain.Medical] = ("健康の基礎知識", "Health basics"),
    };

    private const string MedicalNoteJa = "これは一般的な情報です。診断や治療については医師に相談してください。";
    private const string MedicalNoteEn = "This is general information. Ask a doctor about diagnosis or treatment.";

    /// <summary>The corpus of one base domain, about <paramref name="targetBytes"/> UTF-8 bytes long (whole documents only).</summary>
    /// <exception cref="ArgumentException">The domain is not a base domain (org-acme is refused).</exception>
    public string Generate(string domain, int targetBytes)
    {
        if (!NanoDomain.Base.Contains(domain))
            throw new ArgumentException($"'{domain}' is not a base-corpus domain (allowed: {string.Join(", ", NanoDomain.Base)}); org-acme facts are adapter-only", nameof(domain));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(targetBytes);

        var random = SeededRandom.For(seed, "corpus/" + domain);
        var facts = FactTables.ForDomain(domain);
        var passages = HandWrittenPassages.All.Where(passage => passage.Domain == domain).ToArray();
        var documents = new List<string>();
        var bytes = 0;
        for (var round = 0; bytes < targetBytes; round++)
        {
            // Every fourth round: each hand-written passage once; every round: fact digests (and drills for general) in both languages.
            if (round % 4 == 0)
                foreach (var passage in passages) Add(HandWrittenPassages.Render(passage));
            for (var i = 0; i < 8; i++)
            {
                Add(FactDigest(domain, facts, Language.Japanese, random));
                Add(FactDigest(domain, facts, Language.English, random));
            }
            if (domain == NanoDomain.General)
            {
                Add(Drill(Language.Japanese, random));
                Add(Drill(Language.English, random));
            }
        }
        random.Shuffle(documents);
        return string.Join("\n\n", documents) + "\n";

        void Add(string document)
        {
            documents.Add(document);
            bytes += Encoding.UTF8.GetByteCount(document) + 2;
        }
    }

    private static string FactDigest(string domain, IReadOnlyList<Fact> facts, Language language, SeededRandom random)
    {
        var title = language == Language.Japanese ? Titles[domain].Japanese : Titles[domain].English;
        var frames = language == Language.Japanese ? JapaneseFrames : EnglishFrames;
        var lines = new List<string> { title };
        var chosen = new HashSet<int>();
        var count = random.Next(3, 7);
        while (chosen.Count < count) chosen.Add(random.Next(facts.Count));
        foreach (var index in chosen)
        {
            var rendering = facts[index].In(language);
            lines.Add(random.Pick(frames).Replace("{q}", rendering.Question, StringComparison.Ordinal).Replace("{a}", rendering.Answer, StringComparison.Ordinal));
        }
        if (domain == NanoDomain.Medical) lines.Add(language == Language.Japanese ? MedicalNoteJa : MedicalNoteEn);
        return string.Join("\n", lines);
    }

    private static readonly string[] WeekdaysJa = ["月曜日", "火曜日", "水曜日", "木曜日", "金曜日", "土曜日", "日曜日"];
    private static readonly string[] WeekdaysEn = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    private static readonly string[] MonthsEn = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"];

    /// <summary>Arithmetic and calendar sentences: cheap, always true, and varied enough to teach number words.</summary>
    private static string Drill(Language language, SeededRandom random)
    {
        var japanese = language == Language.Japanese;
        var lines = new List<string> { japanese ? "計算と暦の練習" : "Numbers and calendar practice" };
        for (var i = 0; i < 6; i++)
        {
            var a = random.Next(0, 21);
            var b = random.Next(0, 21);
            lines.Add(random.Next(5) switch
            {
                0 => japanese ? $"{a}たす{b}は{a + b}です。" : $"{a} plus {b} is {a + b}.",
                1 => japanese ? $"{Math.Max(a, b)}ひく{Math.Min(a, b)}は{Math.Max(a, b) - Math.Min(a, b)}です。" : $"{Math.Max(a, b)} minus {Math.Min(a, b)} is {Math.Max(a, b) - Math.Min(a, b)}.",
                2 => japanese ? $"{a % 10}かける{b % 10}は{a % 10 * (b % 10)}です。" : $"{a % 10} times {b % 10} is {a % 10 * (b % 10)}.",
                3 => japanese ? $"{WeekdaysJa[a % 7]}の次は{WeekdaysJa[(a + 1) % 7]}です。" : $"After {WeekdaysEn[a % 7]} comes {WeekdaysEn[(a + 1) % 7]}.",
                _ => japanese ? $"{a % 12 + 1}月の次は{(a + 1) % 12 + 1}月です。" : $"After {MonthsEn[a % 12]} comes {MonthsEn[(a + 1) % 12]}.",
            });
        }
        return string.Join("\n", lines);
    }
}
