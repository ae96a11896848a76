namespace Tsuzumi.Deployment.Tests.Manifests;

/// <summary>The key index must tell a real key from a misspelt one, or the manifest checks below would prove nothing.</summary>
public sealed class ServiceConfigurationKeysTests
{
    [Fact]
    public void A_key_each_service_reads_is_known_and_a_misspelt_or_foreign_one_is_not()
    {
        var router = ServiceConfigurationKeys.Of("Router");
        var silo = ServiceConfigurationKeys.Of("Silo");
        var gateway = ServiceConfigurationKeys.Of("Gateway");

        Assert.True(router.Reads("Constellation__Catalog"));       // literal key in shared/Tsuzumi.Catalog, read by both
        Assert.True(silo.Reads("Constellation__Catalog"));
        Assert.False(router.Reads("Constellation__Catalogue"));
        Assert.False(router.Reads("Catalog__Path"));               // the router's old key: no service reads it any more
        Assert.True(silo.Reads("Silo__BaseModels"));
        Assert.True(silo.Reads("ConnectionStrings__rabbitmq"));
        Assert.False(silo.Reads("ConnectionStrings__rabbit"));
        Assert.True(gateway.Reads("ReverseProxy__Clusters__router__Destinations__router-1__Address")); // shipped defaults
        Assert.False(gateway.Reads("ReverseProxy__Clusters__routers__Destinations__router-1__Address"));
        Assert.False(gateway.Reads("Orleans__Clustering__Redis"));
    }
}
