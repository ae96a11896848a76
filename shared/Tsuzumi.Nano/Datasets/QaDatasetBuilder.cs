using Tsuzumi.Nano.Facts;

namespace Tsuzumi.Nano.Datasets;

/// <summary>
/// Turns a domain's fact table into QA data: each fact's training question in three instruction wrappers per language
/// (train), its held-out paraphrase with the value as key fact (heldout), and its true answer among distractor answers (mc).
/// Facts with <see cref="TrainingParaphrases"/> (the adapter domains) also train on their topic in
/// <see cref="FramesPerFact"/> generic frames and on their hand-written questions, all with the same answer.
/// </summary>
public sealed class QaDatasetBuilder(int seed)
{
    private static readonly string[] JapaneseWrappers = ["{q}", "簡潔に答えてください。{q}", "{q}一文で教えてください。"];
    private static readonly string[] EnglishWrappers = ["{q}", "Answer briefly: {q}", "{q} Please answer in one sentence."];

    /// <summary>Generic frames per fact and language that carry the fact's topic; a seeded pick, so frames vary across facts.</summary>
    public const int FramesPerFact = 4;

    public DomainDataset Build(string domain)
    {
        var facts = FactTables.ForDomain(domain);
        var random = SeededRandom.For(seed, "qa/" + domain);
        // A stream of its own, so the paraphrases leave the original pairs, the multiple-choice order and general untouched.
        var paraphraseRandom = SeededRandom.For(seed, "qa-paraphrases/" + domain);
        var train = new List<TrainingPair>();
        var paraphrased = new List<TrainingPair>();
        var heldOut = new List<HeldOutQuestion>();
        var multipleChoice = new List<MultipleChoiceItem>();
        foreach (var fact in facts)
        {
            foreach (var language in Enum.GetValues<Language>())
            {
                var rendering = fact.In(language);
                var code = language == Language.Japanese ? "ja" : "en";
                var wrappers = language == Language.Japanese ? JapaneseWrappers : EnglishWrappers;
                for (var w = 0; w < wrappers.Length; w++)
                    train.Add(new TrainingPair($"{fact.Id}.{code}.{w + 1}", wrappers[w].Replace("{q}", rendering.Question, StringComparison.Ordinal), rendering.Answer));
                if (TrainingParaphrases.For(fact.Id) is { } paraphrases)
                    paraphrased.AddRange(ParaphrasePairs($"{fact.Id}.{code}", paraphrases.In(language), language, rendering.Answer, paraphraseRandom));
                heldOut.Add(new HeldOutQuestion($"{fact.Id}.{code}.heldout", rendering.HeldOutQuestion, [rendering.Value]));

                var choices = new List<string> { rendering.Answer };
                choices.AddRange(rendering.Distractors.Take(3).Select(rendering.AnswerWith));
                random.Shuffle(choices);
                multipleChoice.Add(new MultipleChoiceItem($"{fact.Id}.{code}.mc", rendering.HeldOutQuestion, choices, choices.IndexOf(rendering.Answer)));
            }
        }
        // Shuffled so that a trainer reading the file in order does not see one fact six times in a row.
        random.Shuffle(train);
        // Paraphrases go in at random places, leaving the original pairs in their order: the tokenizer was trained on
        // those in exactly this order.
        paraphraseRandom.Shuffle(paraphrased);
        foreach (var pair in paraphrased) train.Insert(paraphraseRandom.Next(train.Count + 1), pair);
        return new DomainDataset(domain, train, heldOut, multipleChoice);
    }

    private static IEnumerable<TrainingPair> ParaphrasePairs(string idPrefix, ParaphraseSet paraphrases, Language language, string answer, SeededRandom random)
    {
        var frames = (language == Language.Japanese ? TrainingParaphrases.JapaneseFrames : TrainingParaphrases.EnglishFrames).ToList();
        random.Shuffle(frames);
        var questions = frames.Take(FramesPerFact).Select(frame => frame.Replace("{t}", paraphrases.Topic, StringComparison.Ordinal)).Concat(paraphrases.Questions);
        return questions.Select((question, index) => new TrainingPair($"{idPrefix}.p{index + 1}", question, answer, IsParaphrase: true));
    }
}
