using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Tsuzumi.Catalog;
using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Tests.Routing;

public sealed class RoutingServiceCollectionExtensionsTests(RoutingFixture fixture)
{
    [Fact]
    public async Task The_registered_router_is_ready_once_the_host_has_started()
    {
        var services = new ServiceCollection();
        services.AddSingleton<ICatalogSource>(new StaticCatalogSource(fixture.Catalog));
        services.AddSingleton(fixture.Embedder); // the fixture's model, so the test does not load a second one
        services.AddSpecialistRouting();
        await using var provider = services.BuildServiceProvider();

        foreach (var hosted in provider.GetServices<IHostedService>()) await hosted.StartAsync(TestContext.Current.CancellationToken);
        var router = provider.GetRequiredService<ISpecialistRouter>();

        Assert.Same(provider.GetRequiredService<HybridSpecialistRouter>(), router);
        Assert.Equal(1, ((HybridSpecialistRouter)router).IndexBuilds);
        Assert.Equal("finance", router.Route("What is a dividend yield?", "public").Chosen[0]);
    }
}
