using Tsuzumi.Inference.Evaluation;
using Tsuzumi.Inference.Evaluation.Tasks;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Evaluation;

public sealed class TaskFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-eval-").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(string name, params string[] lines)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllLines(path, lines);
        return path;
    }

    [Fact]
    public void The_real_jcommonsenseqa_validation_set_reads_as_1119_five_way_questions_in_the_harness_prompt()
    {
        var questions = JCommonsenseQaFile.Read(RepositoryPaths.RequireSharedFile("eval/jglue/jcommonsenseqa-v1.3/valid-v1.3.json"));

        Assert.Equal(1119, questions.Count);
        Assert.All(questions, question => Assert.Equal(5, question.Choices.Count));
        Assert.All(questions, question => Assert.InRange(question.Label, 0, 4));
        var first = questions[0];
        Assert.Equal("8939", first.Id);
        Assert.Equal(2, first.Label);
        Assert.Equal("マザーボード", first.Choices[2]);
        Assert.Equal("\n", first.TargetDelimiter);
        Assert.StartsWith(JCommonsenseQaFile.Description + "### 指示：\n出力は以下から選択してください：\n- 掲示板\n- パソコン\n", first.Context);
        Assert.EndsWith("\n### 入力：\n電子機器で使用される最も主要な電子回路基板の事をなんと言う？\n\n### 応答：", first.Context);
        Assert.Equal("\nマザーボード", first.Continuation(2));
    }

    [Fact]
    public void The_real_piqa_validation_set_reads_as_1838_labelled_two_way_questions_in_the_harness_prompt()
    {
        var questions = PiqaFile.Read(RepositoryPaths.RequireSharedFile("eval/piqa/valid.jsonl"));

        Assert.Equal(1838, questions.Count);
        Assert.All(questions, question => Assert.Equal(2, question.Choices.Count));
        Assert.Equal("Question: How do I ready a guinea pig cage for it's new occupants?\nAnswer:", questions[0].Context);
        Assert.Equal([0, 1, 1], questions.Take(3).Select(question => question.Label));
        Assert.StartsWith(" Provide the guinea pig with a cage full of a few inches of bedding made of ripped paper", questions[0].Continuation(0));
        // Labels are balanced enough that a constant guess cannot reach the sanity figure's range by itself.
        Assert.InRange(questions.Average(question => question.Label), 0.4, 0.6);
    }

    [Fact]
    public void A_generic_file_keeps_continuations_exactly_as_given()
    {
        var path = Write("capitals.jsonl",
            """{"id": "fr", "context": "The capital of France is", "choices": [" Paris", " Lyon"], "label": 0}""",
            "",
            """{"context": "2+2=", "choices": ["4", "5", "22"], "label": 0}""");

        var questions = MultipleChoiceFile.Read(path);

        Assert.Equal(2, questions.Count);
        Assert.Equal(" Paris", questions[0].Continuation(0));
        Assert.Equal("fr", questions[0].Id);
        Assert.Equal("3", questions[1].Id); // line number when the file has no id
    }

    [Theory]
    [InlineData("""{"context": "c", "choices": ["a", "b"], "label": 0}""", """{"context": "c", "choices": ["a", "b"], "label": 2}""", "label 2")]
    [InlineData("""{"context": "c", "choices": ["a", "b"], "label": 0}""", """{"context": "c", "choices": ["a", "b"], "label": 0""", "not valid JSON")]
    [InlineData("""{"context": "c", "choices": ["a", "b"], "label": 0}""", """{"context": "c", "choices": ["a"], "label": 0}""", "at least 2 choices")]
    [InlineData("""{"context": "c", "choices": ["a", "b"], "label": 0}""", """{"context": "c", "choices": ["a", 3], "label": 0}""", "only strings")]
    [InlineData("""{"context": "c", "choices": ["a", "b"], "label": 0}""", """{"choices": ["a", "b"], "label": 0}""", "'context'")]
    [InlineData("""{"context": "c", "choices": ["a", "b"], "label": 0}""", """{"context": "c", "choices": ["a", ""], "label": 1}""", "empty")]
    [InlineData("""{"context": "c", "choices": ["a", "b"], "label": 0}""", """[1, 2]""", "JSON object")]
    public void A_malformed_multiple_choice_line_is_rejected_with_file_and_line(string good, string bad, string reason)
    {
        var path = Write("broken.jsonl", good, bad);

        var error = Assert.Throws<EvaluationDataException>(() => MultipleChoiceFile.Read(path));

        Assert.Equal(path, error.Path);
        Assert.Equal(2, error.Line);
        Assert.Contains(reason, error.Message);
        Assert.StartsWith($"{path}:2: ", error.Message);
    }

    [Fact]
    public void Piqa_labels_that_do_not_line_up_with_the_items_are_rejected()
    {
        const string item = """{"goal": "g", "sol1": "a", "sol2": "b"}""";
        var items = Write("valid.jsonl", item, item, item);
        Write("valid-labels.lst", "0", "1");

        var error = Assert.Throws<EvaluationDataException>(() => PiqaFile.Read(items));
        Assert.Equal(3, error.Line);
        Assert.EndsWith("valid-labels.lst", error.Path);

        Write("valid-labels.lst", "0", "1", "2");
        Assert.Contains("not 0 or 1", Assert.Throws<EvaluationDataException>(() => PiqaFile.Read(items)).Message);

        Write("valid-labels.lst", "0", "1", "1", "0");
        Assert.Contains("more labels than items", Assert.Throws<EvaluationDataException>(() => PiqaFile.Read(items)).Message);
    }

    [Fact]
    public void A_jcommonsenseqa_line_missing_a_choice_is_rejected_with_its_line()
    {
        var path = Write("jcqa.json",
            """{"q_id": 1, "question": "q", "choice0": "a", "choice1": "b", "choice2": "c", "choice3": "d", "choice4": "e", "label": 4}""",
            """{"q_id": 2, "question": "q", "choice0": "a", "choice1": "b", "choice2": "c", "choice3": "d", "label": 0}""");

        var error = Assert.Throws<EvaluationDataException>(() => JCommonsenseQaFile.Read(path));

        Assert.Equal(2, error.Line);
        Assert.Contains("choice4", error.Message);
    }

    [Fact]
    public void Key_fact_files_reject_empty_or_blank_facts_and_duplicate_ids()
    {
        const string good = """{"id": "a", "prompt": "p", "keyFacts": ["x"]}""";
        Assert.Single(KeyFactQaFile.Read(Write("ok.jsonl", good)));

        Assert.Equal(2, Assert.Throws<EvaluationDataException>(() => KeyFactQaFile.Read(Write("empty.jsonl", good, """{"id": "b", "prompt": "p", "keyFacts": []}"""))).Line);
        Assert.Equal(2, Assert.Throws<EvaluationDataException>(() => KeyFactQaFile.Read(Write("blank.jsonl", good, """{"id": "b", "prompt": "p", "keyFacts": ["　 "]}"""))).Line);
        Assert.Contains("duplicate id", Assert.Throws<EvaluationDataException>(() => KeyFactQaFile.Read(Write("dup.jsonl", good, good))).Message);
    }

    [Fact]
    public void Missing_and_empty_files_are_named()
    {
        var missing = Path.Combine(folder, "nope.jsonl");
        Assert.Equal(missing, Assert.Throws<EvaluationDataException>(() => MultipleChoiceFile.Read(missing)).Path);
        Assert.Contains("no questions", Assert.Throws<EvaluationDataException>(() => MultipleChoiceFile.Read(Write("blank.jsonl", "", "  "))).Message);
    }

    [Fact]
    public void The_catalog_recognises_a_bare_file_by_its_keys_and_applies_the_limit()
    {
        var multiple = Write("mc.jsonl", Enumerable.Repeat("""{"context": "c", "choices": ["a", "b"], "label": 1}""", 5).ToArray());
        var generative = Write("qa.jsonl", """{"id": 1, "prompt": "p", "keyFacts": ["x"]}""", """{"id": 2, "prompt": "p", "keyFacts": ["y"]}""");

        var first = TaskCatalog.Resolve(multiple, folder, limit: 3);
        var second = TaskCatalog.Resolve("qa:" + generative, folder);

        Assert.IsType<MultipleChoiceTask>(first);
        Assert.Equal(("mc", 3), (first.Name, first.QuestionCount));
        Assert.IsType<GenerativeQaTask>(second);
        Assert.Equal(2, second.QuestionCount);
        Assert.Throws<ArgumentException>(() => TaskCatalog.Resolve("hellaswag", folder));
        Assert.Throws<EvaluationDataException>(() => TaskCatalog.Resolve(Write("other.jsonl", """{"text": "t"}"""), folder));
    }
}
