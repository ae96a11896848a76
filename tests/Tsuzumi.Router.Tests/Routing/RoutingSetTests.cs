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
        var catalogExamples = fixture.Catalog.Specialists.SelectMany(specialist => specialist.Examples).ToHashSet();
        Assert.DoesNotContain(set.Items, item => catalogExamples.Contains(item.Query));
    }

    [Fact]
    public void The_tuning_set_meets_the_accuracy_targets()
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath("routing-set.jsonl"));

        var (slices, misses) = RoutingEvaluator.Evaluate(fixture.Router, fixture.Catalog, set, timedPasses: 0);

        var all = slices.Single(slice => slice.Lang == "all");
        var report = string.Join('\n', misses.Select(miss => $"{miss.Query}: {string.Join('+', miss.Chosen)} ({miss.Candidates})"));
        Assert.True(all.Top1Accuracy >= 0.95, $"top-1 {all.Top1Accuracy:P1}\n{report}");
        Assert.True(all.MultiDomainRecall >= 0.7, $"multi-domain recall {all.MultiDomainRecall:P1}\n{report}");
        Assert.True(all.OutOfDomainFallbackAccuracy >= 0.8, $"out-of-domain fallback {all.OutOfDomainFallbackAccuracy:P1}\n{report}");
        Assert.Equal(0, all.TenantLeaks);
        foreach (var lang in new[] { "en", "ja" })
            Assert.True(slices.Single(slice => slice.Lang == lang).Top1Accuracy >= 0.9, $"{lang} top-1 below 90%\n{report}");
    }

    [Theory]
    [InlineData("routing-heldout.jsonl")]
    [InlineData("routing-heldout-2.jsonl")]
    public void A_held_out_set_is_routed_nearly_as_well_and_leaks_nothing(string file)
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath(file));

        var (slices, misses) = RoutingEvaluator.Evaluate(fixture.Router, fixture.Catalog, set, timedPasses: 0);

        var all = slices.Single(slice => slice.Lang == "all");
        var report = string.Join('\n', misses.Select(miss => $"{miss.Query}: {string.Join('+', miss.Chosen)} ({miss.Candidates})"));
        Assert.True(all.Top1Accuracy >= HeldOutTop1Floor, $"held-out top-1 {all.Top1Accuracy:P1}\n{report}");
        Assert.Equal(0, all.TenantLeaks);
    }

    // Below the first runs on the held-out sets (90.3 % and 94.4 %); a regression guard, never a tuning target.
    private const double HeldOutTop1Floor = 0.85;

    [Fact]
    public void Every_query_as_the_public_tenant_keeps_acme_rules_out_of_the_candidates()
    {
        var set = RoutingSet.Load(RoutingFixture.SetPath("routing-set.jsonl"));

        var (slices, _) = RoutingEvaluator.Evaluate(fixture.Router, fixture.Catalog, set, tenantOverride: "public", timedPasses: 0);

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
