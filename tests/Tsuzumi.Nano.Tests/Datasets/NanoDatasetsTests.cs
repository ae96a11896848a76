using Tsuzumi.Nano.Datasets;
using Tsuzumi.Nano.Facts;

namespace Tsuzumi.Nano.Tests.Datasets;

public sealed class NanoDatasetsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("tsuzumi-nano-qa-").FullName;

    private const string GoodTrain =
        """{"id":"t1","prompt":"When is the expense deadline?","completion":"Expense reports are due by the 5th business day."}""" + "\n" +
        """{"id":"t2","prompt":"What is the IT extension?","completion":"The IT help desk is on extension 1234."}""" + "\n";
    private const string GoodHeldOut = """{"id":"h1","prompt":"By what day must expenses be filed?","keyFacts":["5th business day"]}""" + "\n";
    private const string GoodChoices = """{"id":"m1","context":"Which extension is IT?","choices":["extension 1234","extension 2200"],"label":0}""" + "\n";

    private string Domain(string train = GoodTrain, string heldOut = GoodHeldOut, string choices = GoodChoices)
    {
        var directory = Directory.CreateDirectory(Path.Combine(_folder, Guid.NewGuid().ToString("N"))).FullName;
        File.WriteAllText(Path.Combine(directory, NanoDatasets.TrainFile), train);
        File.WriteAllText(Path.Combine(directory, NanoDatasets.HeldOutFile), heldOut);
        File.WriteAllText(Path.Combine(directory, NanoDatasets.MultipleChoiceFile), choices);
        return directory;
    }

    private static DatasetProblem Single(IReadOnlyList<DatasetProblem> problems, string file, int line)
    {
        var problem = Assert.Single(problems);
        Assert.Equal(file, Path.GetFileName(problem.File));
        Assert.Equal(line, problem.Line);
        return problem;
    }

    [Fact]
    public void A_well_formed_domain_has_no_problems()
    {
        Assert.Empty(NanoDatasets.Validate(Domain()));
    }

    [Fact]
    public void A_broken_json_line_is_named_by_file_and_line()
    {
        var problem = Single(NanoDatasets.Validate(Domain(train: GoodTrain + """{"id":"t3","prompt":"x",""" + "\n")), "train.jsonl", 3);
        Assert.Contains("not valid JSON", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_blank_line_in_the_middle_is_rejected()
    {
        var problem = Single(NanoDatasets.Validate(Domain(choices: "\n" + GoodChoices)), "mc.jsonl", 1);
        Assert.Contains("blank line", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_duplicated_id_names_its_first_occurrence()
    {
        var duplicate = GoodTrain + """{"id":"t1","prompt":"Again?","completion":"extension 1234 again."}""" + "\n";
        var problem = Single(NanoDatasets.Validate(Domain(train: duplicate)), "train.jsonl", 3);
        Assert.Contains("duplicate id \"t1\" (first at train.jsonl:1)", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_id_reused_across_files_of_a_domain_is_a_duplicate()
    {
        var problem = Single(NanoDatasets.Validate(Domain(choices: GoodChoices.Replace("\"m1\"", "\"t2\"", StringComparison.Ordinal))), "mc.jsonl", 1);
        Assert.Contains("duplicate id \"t2\"", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_field_is_named()
    {
        var train = GoodTrain + """{"id":"t3","prompt":"No answer?"}""" + "\n";
        var problem = Single(NanoDatasets.Validate(Domain(train: train)), "train.jsonl", 3);
        Assert.Contains("\"completion\" is missing", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_held_out_key_fact_found_in_no_training_answer_is_rejected()
    {
        var heldOut = GoodHeldOut + """{"id":"h2","prompt":"What is the HR extension?","keyFacts":["extension 2200"]}""" + "\n";
        var problem = Single(NanoDatasets.Validate(Domain(heldOut: heldOut)), "heldout.jsonl", 2);
        Assert.Contains("key fact \"extension 2200\" appears in no training answer", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_held_out_prompt_found_verbatim_inside_a_training_prompt_is_rejected()
    {
        var heldOut = """{"id":"h1","prompt":"What is the IT extension?","keyFacts":["extension 1234"]}""" + "\n";
        var problem = Single(NanoDatasets.Validate(Domain(heldOut: heldOut)), "heldout.jsonl", 1);
        Assert.Contains("occurs verbatim in training", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_held_out_prompt_that_differs_from_a_training_prompt_only_in_case_punctuation_or_width_is_rejected()
    {
        var heldOut = """{"id":"h1","prompt":"what is the ＩＴ extension","keyFacts":["extension 1234"]}""" + "\n";
        var problem = Single(NanoDatasets.Validate(Domain(heldOut: heldOut)), "heldout.jsonl", 1);
        Assert.Contains("nearly equals a training prompt (similarity 1.00", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_held_out_prompt_one_word_away_from_a_training_prompt_is_rejected_but_a_rewording_is_not()
    {
        var oneWordAway = """{"id":"h1","prompt":"When is the expenses deadline?","keyFacts":["5th business day"]}""" + "\n";
        var problem = Single(NanoDatasets.Validate(Domain(heldOut: oneWordAway)), "heldout.jsonl", 1);
        Assert.Contains("\"When is the expense deadline?\"", problem.Message, StringComparison.Ordinal);

        Assert.Empty(NanoDatasets.Validate(Domain(heldOut: GoodHeldOut)));
    }

    [Fact]
    public void Prompt_similarity_counts_shared_bigrams_and_a_short_training_prompt_inside_a_held_out_one_is_no_leak()
    {
        Assert.Equal(1.0, NanoDatasets.PromptSimilarity("配当とは？", "簡潔に答えてください。配当とは何ですか？"), 3);
        Assert.True(NanoDatasets.PromptSimilarity("投資の利回りはどのように表されますか？", "利回りは？") < 0.5);
        Assert.Equal(0.0, NanoDatasets.PromptSimilarity("abc", "xyz"), 3);
        // "abcd" and "abce" share the bigrams ab and bc of three each: Dice = 2·2 / (3 + 3).
        Assert.Equal(2.0 / 3, NanoDatasets.PromptSimilarity("abcd", "abce"), 3);
    }

    [Fact]
    public void Empty_key_facts_a_label_out_of_range_and_repeated_choices_are_rejected()
    {
        var heldOut = """{"id":"h1","prompt":"By what day?","keyFacts":[]}""" + "\n";
        var choices = """{"id":"m1","context":"c","choices":["a","b"],"label":2}""" + "\n" + """{"id":"m2","context":"c","choices":["a","a"],"label":0}""" + "\n";

        var problems = NanoDatasets.Validate(Domain(heldOut: heldOut, choices: choices));

        Assert.Contains(problems, p => p.Line == 1 && p.File.EndsWith("heldout.jsonl", StringComparison.Ordinal) && p.Message.Contains("\"keyFacts\" must be an array", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Line == 1 && p.File.EndsWith("mc.jsonl", StringComparison.Ordinal) && p.Message.Contains("\"label\" 2 is outside the 2 choices", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.Line == 2 && p.File.EndsWith("mc.jsonl", StringComparison.Ordinal) && p.Message.Contains("repeats a choice", StringComparison.Ordinal));
        Assert.Equal(3, problems.Count);
    }

    [Fact]
    public void A_missing_file_and_a_folder_without_data_are_reported_and_EnsureValid_throws_them_all()
    {
        var directory = Domain();
        File.Delete(Path.Combine(directory, NanoDatasets.MultipleChoiceFile));
        var problem = Single(NanoDatasets.Validate(directory), "mc.jsonl", 0);
        Assert.Contains("file not found", problem.Message, StringComparison.Ordinal);

        var empty = Directory.CreateTempSubdirectory("tsuzumi-nano-empty-").FullName;
        try
        {
            var error = Assert.Throws<InvalidDatasetException>(() => NanoDatasets.EnsureValid(empty));
            Assert.Contains("no dataset here", Assert.Single(error.Problems).Message, StringComparison.Ordinal);
        }
        finally { Directory.Delete(empty); }
    }

    [Theory]
    [InlineData("general")]
    [InlineData("finance")]
    [InlineData("medical")]
    [InlineData("org-acme")]
    public void Built_datasets_are_valid_balanced_between_languages_and_large_enough(string domain)
    {
        var dataset = new QaDatasetBuilder(42).Build(domain);
        var directory = Domain(JsonLines.Train(dataset.Train), JsonLines.HeldOut(dataset.HeldOut), JsonLines.MultipleChoice(dataset.MultipleChoice));

        Assert.Empty(NanoDatasets.Validate(directory));
        Assert.True(dataset.Train.Count >= 150, $"{dataset.Train.Count} training pairs");
        Assert.True(dataset.MultipleChoice.Count >= 50, $"{dataset.MultipleChoice.Count} choice items");
        Assert.Equal(dataset.Train.Count / 2, dataset.Train.Count(pair => pair.Id.Contains(".ja.", StringComparison.Ordinal)));
        Assert.All(dataset.MultipleChoice, item => Assert.Contains(item.KeyFactOf(dataset), item.Choices[item.Label], StringComparison.Ordinal));
    }

    [Fact]
    public void General_gets_no_paraphrases_because_the_base_model_was_pretrained_on_its_pairs()
    {
        var dataset = new QaDatasetBuilder(42).Build(NanoDomain.General);
        Assert.DoesNotContain(dataset.Train, pair => pair.IsParaphrase);
        Assert.Equal(FactTables.ForDomain(NanoDomain.General).Count * 6, dataset.Train.Count);
    }

    [Theory]
    [InlineData("finance")]
    [InlineData("medical")]
    [InlineData("org-acme")]
    public void Adapter_domains_train_every_fact_in_several_question_forms_that_all_lead_to_its_answer(string domain)
    {
        var dataset = new QaDatasetBuilder(42).Build(domain);
        foreach (var fact in FactTables.ForDomain(domain))
        {
            foreach (var language in Enum.GetValues<Language>())
            {
                var code = language == Language.Japanese ? "ja" : "en";
                var forms = dataset.Train.Where(pair => pair.Id.StartsWith($"{fact.Id}.{code}.", StringComparison.Ordinal)).ToArray();
                var paraphrases = TrainingParaphrases.For(fact.Id)!.In(language);
                Assert.Equal(3 + QaDatasetBuilder.FramesPerFact + paraphrases.Questions.Count, forms.Length);
                Assert.Equal(forms.Length, forms.Select(pair => pair.Prompt).Distinct(StringComparer.Ordinal).Count());
                Assert.All(forms, pair => Assert.Equal(fact.In(language).Answer, pair.Completion));
                Assert.Equal(QaDatasetBuilder.FramesPerFact, forms.Count(pair => pair.Prompt.Contains(paraphrases.Topic, StringComparison.Ordinal) && pair.IsParaphrase
                    && !paraphrases.Questions.Contains(pair.Prompt)));
            }
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_folder, recursive: true); } catch (IOException) { }
    }
}

internal static class MultipleChoiceTestExtensions
{
    /// <summary>The key fact of the held-out question that shares this item's fact and language.</summary>
    public static string KeyFactOf(this MultipleChoiceItem item, DomainDataset dataset) =>
        dataset.HeldOut.Single(question => question.Id == item.Id[..^".mc".Length] + ".heldout").KeyFacts[0];
}
