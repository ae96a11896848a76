using Tsuzumi.Router.Routing.Evaluation;

namespace Tsuzumi.Router.Tests.Routing;

/// <summary>The labelled routing sets meet the targets with the repository's catalog.</summary>
public sealed class RoutingSetTests(RoutingFixture fixture)
{
    [Fact]
    public void The_tuning_set_is_large_bilingual_and_covers_every_kind()
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath("routing-set.jsonl"));

        Assert.True(set.Items.Count >= 120, $"{set.Items.Count} queries");
        Assert.InRange(set.Items.Count(item => item.Lang == "ja") / (double)set.Items.Count, 0.4, 0.6);
        foreach (var kind in new[] { RoutingSetItem.Single, RoutingSetItem.Multi, RoutingSetItem.OutOfDomain })
            Assert.Contains(set.Items, item => item.Kind == kind);
        foreach (var id in new[] { "finance", "medical", "org-acme", "general" })
            Assert.Contains(set.Items, item => item.Expected.Contains(id));
    }

    [Fact]
    public void No_query_repeats_a_catalog_example_or_a_query_of_another_set()
    {
        var catalogExamples = fixture.Catalog.Specialists.SelectMany(specialist => specialist.Examples.Concat(specialist.EmbeddingExamples)).Select(RoutingSet.Comparable).ToHashSet();
        var seen = new Dictionary<string, string>();
        foreach (var file in AllSets)
        {
            foreach (var item in RoutingSet.Load(RoutingFixture.SetPath(file)).Items)
            {
                var key = RoutingSet.Comparable(item.Query);
                Assert.False(catalogExamples.Contains(key), $"{file}: '{item.Query}' is a catalog example");
                Assert.True(seen.TryAdd(key, file), $"{file}: '{item.Query}' is already in {seen.GetValueOrDefault(key)}");
            }
        }
    }

    private static readonly string[] AllSets = ["routing-set.jsonl", "routing-heldout.jsonl", "routing-heldout-2.jsonl", "routing-heldout-3.jsonl"];

    // Set 4 was written blind and committed before any change, and is never edited; five of its 119 everyday questions
    // turned out to repeat (after normalisation) a catalog example or a query of an earlier set. They stay, and are
    // counted in its score (docs/routing.md); this keeps any further repeat from creeping in.
    [Fact]
    public void Blind_set_4_repeats_no_more_than_the_five_queries_it_was_committed_with()
    {
        var earlier = fixture.Catalog.Specialists.SelectMany(specialist => specialist.Examples.Concat(specialist.EmbeddingExamples))
            .Concat(AllSets.SelectMany(file => RoutingSet.Load(RoutingFixture.SetPath(file)).Items.Select(item => item.Query)))
            .Select(RoutingSet.Comparable).ToHashSet();

        var repeats = RoutingSet.Load(RoutingFixture.SetPath("routing-heldout-4.jsonl")).Items.Where(item => earlier.Contains(RoutingSet.Comparable(item.Query))).ToArray();

        Assert.True(repeats.Length <= 5, string.Join('\n', repeats.Select(item => item.Query)));
    }

    // Sets 5, 6 and 7 were each written blind and checked against the catalog's examples and every earlier set before
    // any tuning (set 7: sixteen everyday questions that repeated an earlier one were replaced then, with questions of
    // the same class), and never edited since; each must stay free of repeats, of them and of itself.
    [Theory]
    [InlineData("routing-heldout-5.jsonl")]
    [InlineData("routing-heldout-6.jsonl")]
    [InlineData("routing-heldout-7.jsonl")]
    [InlineData("routing-heldout-8.jsonl")]
    [InlineData("routing-heldout-9.jsonl")]
    [InlineData("routing-heldout-10.jsonl")]
    [InlineData("routing-heldout-11.jsonl")]
    [InlineData("routing-heldout-12.jsonl")]
    [InlineData("routing-heldout-13.jsonl")]
    [InlineData("routing-heldout-14.jsonl")]
    [InlineData("routing-heldout-15.jsonl", 1)]
    [InlineData("routing-heldout-16.jsonl")]
    [InlineData("routing-heldout-17.jsonl", 2)]
    [InlineData("routing-heldout-18.jsonl")]
    [InlineData("routing-heldout-19.jsonl", 2)]
    [InlineData("routing-heldout-20.jsonl")]
    [InlineData("routing-heldout-21.jsonl", 2)]
    public void A_blind_set_repeats_no_catalog_example_no_query_of_an_earlier_set_and_none_of_its_own(string set, int repeatsOfItsTwin = 0)
    {
        string[] inOrder = [.. AllSets, "routing-heldout-4.jsonl", "routing-heldout-5.jsonl", "routing-heldout-6.jsonl", "routing-heldout-7.jsonl", "routing-heldout-8.jsonl", "routing-heldout-9.jsonl", "routing-heldout-10.jsonl", "routing-heldout-11.jsonl", "routing-heldout-12.jsonl", "routing-heldout-13.jsonl", "routing-heldout-14.jsonl", "routing-heldout-15.jsonl", "routing-heldout-16.jsonl", "routing-heldout-17.jsonl", "routing-heldout-18.jsonl", "routing-heldout-19.jsonl", "routing-heldout-20.jsonl", "routing-heldout-21.jsonl"];
        var earlier = fixture.Catalog.Specialists.SelectMany(specialist => specialist.Examples.Concat(specialist.EmbeddingExamples))
            .Concat(inOrder.TakeWhile(file => file != set).SelectMany(file => RoutingSet.Load(RoutingFixture.SetPath(file)).Items.Select(item => item.Query)))
            .Select(RoutingSet.Comparable).ToHashSet();

        var repeats = RoutingSet.Load(RoutingFixture.SetPath(set)).Items.Where(item => !earlier.Add(RoutingSet.Comparable(item.Query))).ToArray();

        // Sets 14 to 21 were written in pairs at the same time by authors who could not see each other's set, and both of
        // a pair sometimes wrote the same query (14/15: 在宅勤務って週何日までOK？; 16/17: per diem for a 3 day trip to
        // singapore?, panic attack vs heart attack; 18/19: summer vacation days, what "break the bank" means; 20/21:
        // 日銀が利上げしたら普通預金の金利も上がる？, does checking my own credit score lower it). Both sets ran blind with
        // them, so they stay, and only they are allowed.
        Assert.True(repeats.Length == repeatsOfItsTwin, string.Join('\n', repeats.Select(item => item.Query)));
    }


    [Fact]
    public void The_tuning_set_meets_the_accuracy_targets()
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath("routing-set.jsonl"));

        var (slices, misses) = fixture.EvaluateUnseen(set);

        var all = slices.Single(slice => slice.Lang == "all");
        var report = string.Join('\n', misses.Select(miss => $"{miss.Query}: {string.Join('+', miss.Chosen)} ({miss.Candidates})"));
        Assert.True(all.Top1Accuracy >= 0.95, $"top-1 {all.Top1Accuracy:P1}\n{report}");
        Assert.True(all.MultiDomainRecall >= 0.7, $"multi-domain recall {all.MultiDomainRecall:P1}\n{report}");
        Assert.True(all.OutOfDomainFallbackAccuracy >= 0.8, $"out-of-domain fallback {all.OutOfDomainFallbackAccuracy:P1}\n{report}");
        Assert.Equal(0, all.TenantLeaks);
        foreach (var lang in new[] { "en", "ja" })
            Assert.True(slices.Single(slice => slice.Lang == lang).Top1Accuracy >= 0.9, $"{lang} top-1 below 90%\n{report}");
    }

    // Floors a few queries below what the router achieves now, each set scored without the labelled queries that repeat
    // its own (decision 0029): from 100 % (sets 1–3) down to 93.3 % (set 17) top-1; the table is in docs/routing.md,
    // "Rounds 14 and 15". A regression fails the test; they are guards, never tuning targets. Sets 8–21 were each run blind once
    // (8–13: 94.8, 93.6, 92.2, 92.3, 94.7, 93.6 % after rounds 7–12; 14–17: 96.5, 98.0, 94.7, 93.3 % with the labelled
    // queries of sets up to 13; 18, 19: 96.7, 93.3 % after round 14; 20, 21: 96.7, 97.3 % after round 15), and sets 8–13
    // tuned on afterwards.
    [Theory]
    [InlineData("routing-heldout.jsonl", 0.95)]
    [InlineData("routing-heldout-2.jsonl", 0.94)]
    [InlineData("routing-heldout-3.jsonl", 0.95)]
    [InlineData("routing-heldout-4.jsonl", 0.95)]
    [InlineData("routing-heldout-5.jsonl", 0.95)]
    [InlineData("routing-heldout-6.jsonl", 0.95)]
    [InlineData("routing-heldout-7.jsonl", 0.96)]
    [InlineData("routing-heldout-8.jsonl", 0.95)]
    [InlineData("routing-heldout-9.jsonl", 0.95)]
    [InlineData("routing-heldout-10.jsonl", 0.96)]
    [InlineData("routing-heldout-11.jsonl", 0.95)]
    [InlineData("routing-heldout-12.jsonl", 0.95)]
    [InlineData("routing-heldout-13.jsonl", 0.95)]
    [InlineData("routing-heldout-14.jsonl", 0.95)]
    [InlineData("routing-heldout-15.jsonl", 0.97)]
    [InlineData("routing-heldout-16.jsonl", 0.95)]
    [InlineData("routing-heldout-17.jsonl", 0.93)]
    [InlineData("routing-heldout-18.jsonl", 0.95)]
    [InlineData("routing-heldout-19.jsonl", 0.93)]
    [InlineData("routing-heldout-20.jsonl", 0.95)]
    [InlineData("routing-heldout-21.jsonl", 0.95)]
    public void A_held_out_set_is_routed_as_well_as_measured_and_leaks_nothing(string file, double top1Floor)
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath(file));

        var (slices, misses) = fixture.EvaluateUnseen(set);

        var all = slices.Single(slice => slice.Lang == "all");
        var report = string.Join('\n', misses.Select(miss => $"{miss.Query}: {string.Join('+', miss.Chosen)} ({miss.Candidates})"));
        Assert.True(all.Top1Accuracy >= top1Floor, $"held-out top-1 {all.Top1Accuracy:P1}\n{report}");
        Assert.Equal(0, all.TenantLeaks);
    }

    // The labelled queries come from the older sets only (decision 0029): the newest blind sets lend none, so they
    // measure the router on questions it has never seen, leave-set-out or not.
    [Theory]
    [InlineData("routing-heldout-20.jsonl")]
    [InlineData("routing-heldout-21.jsonl")]
    public void The_newest_blind_sets_lend_no_query_to_the_labelled_queries(string file)
    {
        var labelled = fixture.Catalog.Specialists.SelectMany(specialist => specialist.LabelledQueries).Select(RoutingSet.Comparable).ToHashSet();

        var lent = RoutingSet.Load(RoutingFixture.SetPath(file)).Items.Where(item => labelled.Contains(RoutingSet.Comparable(item.Query))).ToArray();

        Assert.True(labelled.Count > 1000, $"{labelled.Count} labelled queries");
        Assert.Empty(lent);
    }

    [Fact]
    public void Every_query_as_the_public_tenant_keeps_acme_rules_out_of_the_candidates()
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath("routing-set.jsonl"));

        var (slices, _) = fixture.EvaluateUnseen(set, tenantOverride: "public");

        Assert.All(slices, slice => Assert.Equal(0, slice.TenantLeaks));
    }

    [Fact]
    public void A_malformed_line_names_the_file_and_line()
    {
        var path = Path.Combine(Path.GetTempPath(), $"routing-set-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path,
        [
            """{"query": "What is a dividend?", "tenant": "public", "expected": ["finance"], "kind": "single", "lang": "en"}""",
            """{"query": "What is a dividend?", "tenant": "public", "expected": [], "kind": "single", "lang": "en"}""",
        ]);
        try
        {
            var error = Assert.Throws<InvalidDataException>(() => RoutingSet.Load(path));
            Assert.Contains($"{path}:2", error.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
