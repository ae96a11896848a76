namespace Tsuzumi.Gateway.Proxy;

/// <summary>
/// Checks the <c>ReverseProxy</c> section before YARP loads it, for the mistakes YARP would only report on the first
/// request or not at all: no routes, a cluster without destinations, a destination address that is not an absolute
/// http(s) URL, a route to an unknown cluster or without an authorization policy.
/// </summary>
internal static class ProxyConfigurationValidator
{
    public const string SectionName = "ReverseProxy";

    public static void Validate(IConfiguration configuration)
    {
        var section = configuration.GetSection(SectionName);
        var problems = new List<string>();
        var routes = section.GetSection("Routes").GetChildren().ToArray();
        var clusters = section.GetSection("Clusters").GetChildren().ToDictionary(cluster => cluster.Key, StringComparer.OrdinalIgnoreCase);
        if (routes.Length == 0) problems.Add("ReverseProxy:Routes is empty: the gateway would proxy nothing");
        foreach (var route in routes)
        {
            var clusterId = route["ClusterId"];
            if (string.IsNullOrWhiteSpace(clusterId) || !clusters.ContainsKey(clusterId))
                problems.Add($"ReverseProxy:Routes:{route.Key}: ClusterId '{clusterId}' is not a configured cluster");
            if (string.IsNullOrWhiteSpace(route["AuthorizationPolicy"]))
                problems.Add($"ReverseProxy:Routes:{route.Key}: AuthorizationPolicy is required (tenant or admin): the tenant header comes from it");
        }
        foreach (var (clusterId, cluster) in clusters)
        {
            var destinations = cluster.GetSection("Destinations").GetChildren().ToArray();
            if (destinations.Length == 0) problems.Add($"ReverseProxy:Clusters:{clusterId}: no Destinations (at least one router replica is needed)");
            foreach (var destination in destinations)
            {
                var address = destination["Address"];
                if (!Uri.TryCreate(address, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
                    problems.Add($"ReverseProxy:Clusters:{clusterId}:Destinations:{destination.Key}: Address '{address}' is not an absolute http(s) URL");
            }
        }
        if (problems.Count > 0)
        {
            throw new InvalidOperationException(
                "The gateway's ReverseProxy configuration is invalid:" + string.Concat(problems.Select(problem => Environment.NewLine + "  - " + problem)));
        }
    }
}
