using System.Text.Json.Nodes;
using Orleans.Runtime;
using Tsuzumi.Contracts;

namespace Tsuzumi.Silo.Tests.Specialists;

/// <summary>Editing the catalog file adds, changes and removes specialists while the silos run.</summary>
[Collection(SpecialistClusterCollection.Name)]
public sealed class CatalogHotReloadTests(SpecialistClusterFixture cluster) : IDisposable
{
    private ISpecialistGrain Specialist(string id) => cluster.Client.GetGrain<ISpecialistGrain>(id);

    [Fact]
    public async Task A_specialist_added_to_the_file_serves_and_a_removed_one_refuses_new_queries_then_deactivates()
    {
        cluster.SkipIfUnavailable();
        var delta = SpecialistCatalogFiles.Specialist("delta", "adapters/alpha", maxTokens: 48);
        Assert.Equal(SpecialistFailureCodes.UnknownSpecialist,
            (await Assert.ThrowsAsync<SpecialistException>(() => Specialist("delta").AskAsync(Queries.Ask("hi")))).Code);

        // Added through the file watcher alone: no reload call, no restart.
        cluster.Files.Write([.. SpecialistCatalogFiles.DefaultSpecialists(), delta]);
        await Queries.Eventually(async () => await Answers("delta"), "delta answers");

        // Removed while a query runs (its first token is out): that query finishes, new ones are refused.
        await using var running = Specialist("delta").StreamAsync(Queries.Ask("A long story about a dragon", maxTokens: 300)).GetAsyncEnumerator(TestContext.Current.CancellationToken);
        Assert.True(await running.MoveNextAsync());
        cluster.Files.Write(SpecialistCatalogFiles.DefaultSpecialists());
        cluster.ReloadCatalogs();
        var refused = await Assert.ThrowsAsync<SpecialistException>(() => Specialist("delta").AskAsync(Queries.Ask("hi")));
        Assert.Equal(SpecialistFailureCodes.UnknownSpecialist, refused.Code);
        SpecialistAnswer? final = null;
        while (await running.MoveNextAsync()) final = running.Current.Final ?? final;
        Assert.NotNull(final);
        Assert.True(final.CompletionTokens > 1);

        var grainId = ((GrainReference)Specialist("delta")).GrainId;
        await Queries.Eventually(() => Task.FromResult(!cluster.Cluster.TryGetGrainContext(grainId, out _)), "delta deactivates");
    }

    [Fact]
    public async Task A_changed_specialist_picks_up_its_new_adapter_and_prompt()
    {
        cluster.SkipIfUnavailable();
        var question = Queries.Ask("The sun was bright");
        var before = await Specialist("gamma").AskAsync(question);
        var alpha = await Specialist("alpha").AskAsync(question);

        // gamma now uses alpha's adapter and prompt: it must answer exactly as alpha does.
        var specialists = SpecialistCatalogFiles.DefaultSpecialists().Where(node => (string?)node["id"] != "gamma").Append(SpecialistCatalogFiles.Specialist("gamma", "adapters/alpha"));
        cluster.Files.Write(specialists);
        cluster.ReloadCatalogs();
        var after = await Specialist("gamma").AskAsync(question);

        Assert.NotEqual(before.Text, after.Text);
        Assert.Equal(alpha.Text, after.Text);
    }

    [Fact]
    public async Task An_invalid_entry_is_left_out_and_the_rest_serve_on()
    {
        cluster.SkipIfUnavailable();
        var invalid = SpecialistCatalogFiles.Specialist("epsilon", adapter: null);
        invalid["generation"] = new JsonObject { ["maxTokens"] = 0 };

        cluster.Files.Write([.. SpecialistCatalogFiles.DefaultSpecialists(), invalid]);
        cluster.ReloadCatalogs();

        Assert.Equal(SpecialistFailureCodes.UnknownSpecialist,
            (await Assert.ThrowsAsync<SpecialistException>(() => Specialist("epsilon").AskAsync(Queries.Ask("hi")))).Code);
        Assert.True((await Specialist("alpha").AskAsync(Queries.Ask("hi"))).CompletionTokens > 0);
    }

    private async Task<bool> Answers(string id)
    {
        try
        {
            return (await Specialist(id).AskAsync(Queries.Ask("hi", maxTokens: 4))).CompletionTokens > 0;
        }
        catch (SpecialistException failure) when (failure.Code == SpecialistFailureCodes.UnknownSpecialist)
        {
            return false;
        }
    }

    public void Dispose()
    {
        if (cluster.SkipReason is not null) return;
        cluster.Files.Write(SpecialistCatalogFiles.DefaultSpecialists());
        cluster.ReloadCatalogs();
    }
}
