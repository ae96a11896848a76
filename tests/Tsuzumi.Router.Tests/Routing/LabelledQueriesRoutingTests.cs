using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Routing.Evaluation;

namespace Tsuzumi.Router.Tests.Routing;

/// <summary>Labelled queries (decision 0029): real questions give MiniLM near neighbours, and no set is scored on its own.</summary>
public sealed class LabelledQueriesRoutingTests(RoutingFixture fixture)
{
    [Fact]
    public void Labelled_queries_are_embedded_once_per_catalog_version_and_never_enter_the_lexical_side()
    {
        var counting = new CountingEmbedder(fixture.Embedder);
        using var without = new HybridSpecialistRouter(new StaticCatalogSource(fixture.CatalogWithoutLabelledQueries), counting);
        var embeddedWithout = counting.Sentences;
        using var with = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), counting);
        var known = fixture.CatalogWithoutLabelledQueries.Specialists.SelectMany(specialist => (string[])[specialist.Description, .. specialist.Examples, .. specialist.EmbeddingExamples]).ToHashSet();
        var newTexts = fixture.Catalog.Specialists.SelectMany(specialist => specialist.LabelledQueries).Distinct().Count(query => !known.Contains(query));

        Assert.True(newTexts > 1000, $"{newTexts} labelled queries");
        Assert.Equal(embeddedWithout + newTexts, counting.Sentences - embeddedWithout);
        with.Route("what is a dividend", "public");
        Assert.Equal(embeddedWithout + newTexts + 1, counting.Sentences - embeddedWithout);

        var lexicalOnly = new RoutingTuning { Signals = RoutingSignals.LexicalOnly };
        using var lexicalWithout = new HybridSpecialistRouter(new StaticCatalogSource(fixture.CatalogWithoutLabelledQueries), fixture.Embedder, lexicalOnly);
        using var lexicalWith = new HybridSpecialistRouter(new StaticCatalogSource(fixture.Catalog), fixture.Embedder, lexicalOnly);
        foreach (var query in new[] { "NISAの上限はいくら？", "ringing in my ears", "how do i make chicken stock", "有給休暇の申請方法" })
            Assert.Equal(lexicalWithout.Route(query, "acme").Candidates, lexicalWith.Route(query, "acme").Candidates);
    }

    // The honest measure: set 13's own queries are held out, so only what the older sets taught can help it.
    [Fact]
    public void The_older_sets_labelled_queries_raise_top_1_on_a_set_whose_own_queries_are_held_out()
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath("routing-heldout-13.jsonl"));

        var (without, _) = RoutingEvaluator.Evaluate(fixture.RouterWithoutLabelledQueries, fixture.CatalogWithoutLabelledQueries, set, timedPasses: 0);
        var (with, misses) = fixture.EvaluateUnseen(set);

        var before = without.Single(slice => slice.Lang == "all").Top1Accuracy;
        var after = with.Single(slice => slice.Lang == "all").Top1Accuracy;
        Assert.True(after >= before + 0.02, $"top-1 {before:P1} without labelled queries, {after:P1} with\n{string.Join('\n', misses.Select(miss => miss.Query))}");
    }

    [Fact]
    public void Holding_out_a_set_removes_exactly_the_labelled_queries_that_repeat_its_own()
    {
        var source = new LeaveSetOutCatalogSource(fixture.Catalog);
        var changes = 0;
        source.Changed += _ => changes++;
        var set = RoutingSet.Load(RoutingFixture.SetPath("routing-heldout-13.jsonl"));
        var queries = set.Items.Select(item => RoutingSet.Comparable(item.Query)).ToHashSet();

        source.HoldOut(set);
        source.HoldOut(set);

        var all = fixture.Catalog.Specialists.SelectMany(specialist => specialist.LabelledQueries).ToArray();
        var kept = source.Current.Specialists.SelectMany(specialist => specialist.LabelledQueries).ToArray();
        Assert.Equal(all.Count(query => queries.Contains(RoutingSet.Comparable(query))), source.HeldOut);
        Assert.True(source.HeldOut > 100, $"{source.HeldOut} held out");
        Assert.Equal(all.Length - source.HeldOut, kept.Length);
        Assert.DoesNotContain(kept, query => queries.Contains(RoutingSet.Comparable(query)));
        Assert.Equal(1, changes);

        var unseen = new RoutingSet("unseen", [new RoutingSetItem("a question nobody labelled yet about tide pools", "public", ["general"], RoutingSetItem.OutOfDomain, "en")]);
        source.HoldOut(unseen);
        Assert.Equal(0, source.HeldOut);
        Assert.Equal(fixture.Catalog.Version, source.Current.Version);
    }
}
