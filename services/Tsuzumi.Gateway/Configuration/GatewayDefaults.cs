using Microsoft.Extensions.Configuration.Memory;

namespace Tsuzumi.Gateway.Configuration;

/// <summary>
/// The shipped configuration (<c>gateway.defaults.json</c>, embedded): routes and the router cluster, limits, loopback
/// URL, log levels. It goes under every other source, so appsettings.json, environment variables
/// (<c>ReverseProxy__Clusters__router__Destinations__router-1__Address</c>) and arguments override any value in it.
/// </summary>
public static class GatewayDefaults
{
    private const string ResourceName = "Tsuzumi.Gateway.gateway.defaults.json";

    public static void AddUnderneath(IConfigurationBuilder configuration)
    {
        // Parsed once into memory: a stream source cannot be loaded again when the configuration rebuilds.
        using var stream = typeof(GatewayDefaults).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"{ResourceName} is not embedded in the gateway assembly.");
        var values = new ConfigurationBuilder().AddJsonStream(stream).Build().AsEnumerable()
            .Where(entry => entry.Value is not null)
            .ToDictionary(entry => entry.Key, entry => entry.Value);
        configuration.Sources.Insert(0, new MemoryConfigurationSource { InitialData = values });
    }
}
