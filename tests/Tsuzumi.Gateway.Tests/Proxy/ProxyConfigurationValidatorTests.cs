using Microsoft.Extensions.Configuration;
using Tsuzumi.Gateway.Proxy;

namespace Tsuzumi.Gateway.Tests.Proxy;

/// <summary>Bad proxy configuration stops the gateway before it binds, with a message naming the setting.</summary>
public sealed class ProxyConfigurationValidatorTests
{
    [Fact]
    public void The_shipped_configuration_is_valid()
    {
        var app = GatewayHost.Build(new Dictionary<string, string?>());
        Assert.NotNull(app);
    }

    [Theory]
    [InlineData("ReverseProxy:Clusters:router:Destinations:router-1:Address", "not a url", "Address 'not a url' is not an absolute http(s) URL")]
    [InlineData("ReverseProxy:Clusters:router:Destinations:router-1:Address", "ftp://127.0.0.1/", "is not an absolute http(s) URL")]
    [InlineData("ReverseProxy:Routes:api:ClusterId", "nowhere", "ClusterId 'nowhere' is not a configured cluster")]
    [InlineData("ReverseProxy:Routes:api:AuthorizationPolicy", "", "AuthorizationPolicy is required")]
    [InlineData("Gateway:MaxRequestBodyBytes", "0", "MaxRequestBodyBytes must be positive")]
    [InlineData("Gateway:AnonymousRateLimit:Refill", "0", "AnonymousRateLimit: Refill must be at least 1")]
    public void A_bad_setting_is_named_in_the_startup_error(string key, string value, string expected)
    {
        var exception = Assert.Throws<InvalidOperationException>(() => GatewayHost.Build(new Dictionary<string, string?> { [key] = value }));
        Assert.Contains(expected, exception.Message);
    }

    [Fact]
    public void A_cluster_without_destinations_is_a_startup_error()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReverseProxy:Routes:api:ClusterId"] = "router",
            ["ReverseProxy:Routes:api:AuthorizationPolicy"] = "tenant",
            ["ReverseProxy:Routes:api:Match:Path"] = "/v1/{**rest}",
            ["ReverseProxy:Clusters:router:LoadBalancingPolicy"] = "RoundRobin",
        }).Build();
        var exception = Assert.Throws<InvalidOperationException>(() => ProxyConfigurationValidator.Validate(configuration));
        Assert.Contains("ReverseProxy:Clusters:router: no Destinations", exception.Message);
    }
}
