using Tsuzumi.Inference.Formats.Gguf;
using Tsuzumi.Inference.Tokenization;
using Tsuzumi.Inference.Training;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Training;

public sealed class TrainingDataTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-data-").FullName;
    private readonly ITokenizer tokenizer;

    public TrainingDataTests()
    {
        using var file = GgufFile.Open(RepositoryPaths.RequireSharedFile("models/stories260K/stories260K.gguf"));
        tokenizer = GgufTokenizer.Create(GgufCheckpointReader.ReadVocabulary(file)!);
    }

    [Fact]
    public void Prompt_completion_lines_learn_only_the_completion_and_the_end_token()
    {
        var path = Write("""{"prompt": "Q: Who?\nA:", "completion": " Lily."}""");

        var example = TrainingData.Load(path, tokenizer, ChatTemplate.For(ChatFormat.Plain), 512).Single();

        var prompt = tokenizer.Encode("Q: Who?\nA:");
        Assert.Equal(prompt, example.Tokens.Take(prompt.Count));
        Assert.All(example.LossMask.Take(prompt.Count), target => Assert.False(target));
        Assert.All(example.LossMask.Skip(prompt.Count), target => Assert.True(target));
        Assert.Equal(tokenizer.EosId, example.Tokens[^1]);
        Assert.Equal("Q: Who?\nA: Lily.", tokenizer.Decode(example.Tokens.SkipLast(1)));
    }

    [Fact]
    public void Chat_lines_learn_only_the_assistant_turns()
    {
        var path = Write("""{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello"}]}""");

        var example = TrainingData.Load(path, tokenizer, ChatTemplate.For(ChatFormat.ChatML), 512).Single();

        var learned = tokenizer.Decode(example.Tokens.Where((_, index) => example.LossMask[index]), skipSpecialTokens: false);
        Assert.Contains("Hello", learned);
        Assert.DoesNotContain("Hi", learned);
        Assert.DoesNotContain("brief", learned);
    }

    [Fact]
    public void Prompt_completion_lines_as_chat_learn_the_answer_and_its_end_in_the_question_answer_layout()
    {
        var path = Write("""{"prompt": "Who is Lily?", "completion": "Lily is a girl."}""");

        var example = TrainingData.Load(path, tokenizer, ChatTemplate.For(ChatFormat.QuestionAnswer), 512, promptCompletionAsChat: true).Single();

        var context = tokenizer.Decode(example.Tokens.Where((_, index) => !example.LossMask[index]));
        var learned = tokenizer.Decode(example.Tokens.Where((_, index) => example.LossMask[index]).SkipLast(1));
        Assert.Equal(tokenizer.Decode(tokenizer.Encode("Q: Who is Lily?\nA:", addSpecialTokens: true, parseSpecialTokens: true)), context);
        Assert.Equal("Lily is a girl.", learned.Trim());
        Assert.Equal(tokenizer.EosId, example.Tokens[^1]);
        Assert.True(example.LossMask[^1]);
    }

    [Theory]
    [InlineData("""{"prompt": "a", "completion": "b"}""" + "\n" + """{"prompt": "a", "completion": }""", 2, "not valid JSON")]
    [InlineData("""{"prompt": "a"}""", 1, "missing \"completion\"")]
    [InlineData("""{"prompt": 3, "completion": "b"}""", 1, "must be a string")]
    [InlineData("""["prompt"]""", 1, "JSON object")]
    [InlineData("""{"prompt": "a", "completion": ""}""", 1, "empty")]
    [InlineData("""{"messages": [{"role": "robot", "content": "x"}]}""", 1, "unknown role")]
    [InlineData("""{"messages": [{"role": "user", "content": "x"}]}""", 1, "no assistant message")]
    public void Malformed_lines_are_rejected_with_the_line_number(string content, int line, string problem)
    {
        var path = Write(content);

        var error = Assert.Throws<TrainingDataException>(() => TrainingData.Load(path, tokenizer, ChatTemplate.For(ChatFormat.ChatML), 512));
        Assert.Equal(line, error.Line);
        Assert.Contains(problem, error.Message);
        Assert.StartsWith($"{path}:{line}:", error.Message);
    }

    [Fact]
    public void An_empty_dataset_is_rejected()
    {
        var error = Assert.Throws<TrainingDataException>(() => TrainingData.Load(Write("\n\n"), tokenizer, ChatTemplate.For(ChatFormat.Plain), 512));
        Assert.Contains("empty", error.Message);
    }

    [Fact]
    public void An_example_longer_than_the_context_is_rejected()
    {
        var path = Write("""{"prompt": "Once upon a time there was a very long story", "completion": " and it went on."}""");

        var error = Assert.Throws<TrainingDataException>(() => TrainingData.Load(path, tokenizer, ChatTemplate.For(ChatFormat.Plain), 8));
        Assert.Contains("context of 8", error.Message);
    }

    [Fact]
    public void The_schedule_warms_up_linearly_then_decays_to_a_tenth()
    {
        var schedule = new LearningRateSchedule(1.0, totalSteps: 100, warmupSteps: 10);

        Assert.Equal(0.1, schedule.At(0), 9);
        Assert.Equal(1.0, schedule.At(9), 9);
        Assert.Equal(1.0, schedule.At(10), 9);
        Assert.Equal(0.55, schedule.At(55), 9);
        Assert.Equal(0.1, schedule.At(100), 9);
        Assert.True(schedule.At(30) > schedule.At(60));
    }

    private string Write(string content)
    {
        var path = Path.Combine(folder, $"{Guid.NewGuid():N}.jsonl");
        File.WriteAllText(path, content);
        return path;
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);
}
