using Tsuzumi.Nano.Facts;

namespace Tsuzumi.Nano.Datasets;

/// <summary>
/// Turns a domain's fact table into QA data: each fact's training question in three instruction wrappers per language
/// (train), its held-out paraphrase with the value as key fact (heldout), and its true answer among distractor answers (mc).
/// </summary>
public sealed class QaDatasetBuilder(int seed)
{
    private static readonly string[] JapaneseWrappers = ["{q}", "簡潔に答えてください。{q}", "{q}一文で教えてください。"];
    private static readonly string[] EnglishWrappers = ["{q}", "Answer briefly: {q}", "{q} Please answer in one sentence."];

    public DomainDataset Build(string domain)
    {
        var facts = FactTables.ForDomain(domain);
        var random = SeededRandom.For(seed, "qa/" + domain);
        var train = new List<TrainingPair>();
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
                heldOut.Add(new HeldOutQuestion($"{fact.Id}.{code}.heldout", rendering.HeldOutQuestion, [rendering.Value]));

                var choices = new List<string> { rendering.Answer };
                choices.AddRange(rendering.Distractors.Take(3).Select(rendering.AnswerWith));
                random.Shuffle(choices);
                multipleChoice.Add(new MultipleChoiceItem($"{fact.Id}.{code}.mc", rendering.HeldOutQuestion, choices, choices.IndexOf(rendering.Answer)));
            }
        }
        // Shuffled so that a trainer reading the file in order does not see one fact six times in a row.
        random.Shuffle(train);
        return new DomainDataset(domain, train, heldOut, multipleChoice);
    }
}
