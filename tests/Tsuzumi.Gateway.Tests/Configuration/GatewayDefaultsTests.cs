using Microsoft.Extensions.Configuration;
using Tsuzumi.Gateway.Configuration;

namespace Tsuzumi.Gateway.Tests.Configuration;

public sealed class GatewayDefaultsTests
{
    [Fact]
    public void The_shipped_defaults_sit_under_every_other_source()
    {
        var configuration = new ConfigurationManager();
        configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:router:Destinations:router-1:Address"] = "http://10.0.0.7:8080/",
        });
        GatewayDefaults.AddUnderneath(configuration);
        configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["Gateway:MaxRequestBodyBytes"] = "4096" });

        Assert.Equal("http://127.0.0.1:8080", configuration["Urls"]);
        Assert.Equal("/v1/{**rest}", configuration["ReverseProxy:Routes:api:Match:Path"]);
        Assert.Equal("admin", configuration["ReverseProxy:Routes:admin:AuthorizationPolicy"]);
        Assert.Equal("http://10.0.0.7:8080/", configuration["ReverseProxy:Clusters:router:Destinations:router-1:Address"]);
        Assert.Equal("4096", configuration["Gateway:MaxRequestBodyBytes"]);
        Assert.Equal("/health/ready", configuration["ReverseProxy:Clusters:router:HealthCheck:Active:Path"]);
    }
}
