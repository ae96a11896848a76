using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Routing.Evaluation;

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

    [Fact]
    public void Every_query_of_a_labelled_set_embeds_to_the_bits_the_package_encoder_gives()
    {
        // held-out-3 holds the longest queries (58 tokens); the catalog batch exercises padding.
        using var package = new PackagedMiniLmEmbedder();
        var queries = RoutingSet.Load(RoutingFixture.SetPath("routing-heldout-3.jsonl")).Items.Select(item => item.Query).ToArray();
        var catalogTexts = fixture.Catalog.Specialists.SelectMany(specialist => specialist.Examples).Take(32).ToArray();

        foreach (var query in queries) Assert.Equal(package.Embed([query])[0], fixture.Embedder.Embed([query])[0]);
        Assert.Equal(package.Embed(catalogTexts), fixture.Embedder.Embed(catalogTexts));
    }

    [Fact]
    public void Queries_embedded_at_once_on_several_threads_get_the_vectors_they_get_one_at_a_time()
    {
        // One session and one tokenizer serve every request thread of the router.
        var queries = RoutingSet.Load(RoutingFixture.SetPath("routing-heldout-3.jsonl")).Items.Select(item => item.Query).Take(40).ToArray();
        var alone = queries.Select(query => fixture.Embedder.Embed([query])[0]).ToArray();

        var together = new float[queries.Length][];
        Parallel.For(0, queries.Length, new ParallelOptions { MaxDegreeOfParallelism = 4 }, i => together[i] = fixture.Embedder.Embed([queries[i]])[0]);

        Assert.Equal(alone, together);
    }

    [Fact]
    public void No_sentences_give_no_vectors() => Assert.Empty(fixture.Embedder.Embed([]));
}
