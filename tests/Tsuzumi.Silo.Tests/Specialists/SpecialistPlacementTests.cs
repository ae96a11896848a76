using Microsoft.Extensions.DependencyInjection;
using Tsuzumi.Contracts;

namespace Tsuzumi.Silo.Tests.Specialists;

[Collection(SpecialistClusterCollection.Name)]
public sealed class SpecialistPlacementTests(SpecialistClusterFixture cluster)
{
    [Fact]
    public async Task Specialists_activate_only_on_the_silo_hosting_their_base_model()
    {
        cluster.SkipIfUnavailable();
        // Calls from the client and from inside the silo that hosts nothing: either way the director picks the host.
        var fromEmptySilo = cluster.ServicesOf(cluster.EmptySilo).GetRequiredService<IGrainFactory>();

        foreach (var id in new[] { "alpha", "beta", "gamma" })
        {
            await cluster.Client.GetGrain<ISpecialistGrain>(id).AskAsync(Queries.Ask("Ben and Mia played", maxTokens: 4));
            Assert.Equal(cluster.HostingSilo.ToString(), (await cluster.Client.GetGrain<ISpecialistGrain>(id).GetStatsAsync()).SiloAddress);
        }
        var viaEmpty = fromEmptySilo.GetGrain<ISpecialistGrain>("acme-rules");
        await viaEmpty.AskAsync(Queries.Ask("Ben and Mia played", tenant: "acme", maxTokens: 4));
        Assert.Equal(cluster.HostingSilo.ToString(), (await viaEmpty.GetStatsAsync()).SiloAddress);
    }

    [Fact]
    public async Task A_specialist_whose_base_model_no_silo_hosts_is_unavailable()
    {
        cluster.SkipIfUnavailable();

        var failure = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Client.GetGrain<ISpecialistGrain>("orphan").AskAsync(Queries.Ask("hello")));

        var specialist = Assert.IsType<SpecialistException>(Unwrap(failure));
        Assert.Equal(SpecialistFailureCodes.Unavailable, specialist.Code);
        Assert.Contains(SpecialistCatalogFiles.UnhostedBaseModel, specialist.Message);
    }

    private static Exception Unwrap(Exception error)
    {
        for (var cause = error; cause is not null; cause = cause.InnerException)
        {
            if (cause is SpecialistException) return cause;
        }
        return error;
    }
}
