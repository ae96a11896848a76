using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class MiniLmSentenceEmbedderTests(RoutingFixture fixture)
{
    [Fact]
    public void Only_the_opening_words_of_a_long_query_reach_the_model()
    {
        var words = Enumerable.Range(0, MiniLmSentenceEmbedder.MaxWords).Select(index => $"word{index}").ToArray();
        var opening = string.Join(' ', words);
        var rambling = opening + "  and then " + string.Join(' ', Enumerable.Repeat("dividends and fevers", 40));

        var lastWordChanged = string.Join(' ', words[..^1]) + " fever";

        var vectors = fixture.Embedder.Embed([opening, rambling, opening + " fever", lastWordChanged]);

        Assert.Equal(vectors[0], vectors[1]);
        Assert.Equal(vectors[0], vectors[2]);    // the first word past the cut is dropped…
        Assert.NotEqual(vectors[0], vectors[3]); // …and the last word before it still counts
    }

    [Fact]
    public void Japanese_characters_count_as_words_once_spaced_out()
    {
        var opening = new string('株', MiniLmSentenceEmbedder.MaxWords);

        var vectors = fixture.Embedder.Embed([opening, opening + new string('熱', 30)]);

        Assert.Equal(vectors[0], vectors[1]);
    }
}
