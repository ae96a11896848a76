using Tsuzumi.Deployment.Tests.Manifests;

namespace Tsuzumi.Deployment.Tests.Cluster;

/// <summary>
/// A compose service's <c>environment:</c> with every key kept and only the values that name the compose network
/// moved to loopback: the broker and Redis addresses, other services' URLs, and container paths (through the
/// service's own volume mounts: <c>./config:/config</c> → the repository's config folder; a named volume → a scratch
/// folder). A value that still names a compose service afterwards fails the start, so a new key cannot slip through
/// untranslated.
/// </summary>
internal sealed class ComposeEnvironment(ComposeFile compose, LoopbackAddresses addresses)
{
    public Dictionary<string, string> For(string serviceName, string scratchDirectory)
    {
        var service = compose.Services[serviceName];
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (key, value) in service.Environment)
        {
            var translated = Translate(service, value, scratchDirectory);
            var stillCompose = compose.Services.Keys.FirstOrDefault(name => NamesHost(translated, name));
            if (stillCompose is not null)
                throw new InvalidOperationException($"{serviceName}: {key}={value} names compose service '{stillCompose}' and has no loopback translation");
            environment[key] = translated;
        }
        return environment;
    }

    private string Translate(ComposeService service, string value, string scratchDirectory)
    {
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "amqp" or "amqps" && uri.Host == "rabbitmq")
            return addresses.RabbitMq.ToString();
        if (value.StartsWith("redis:", StringComparison.Ordinal))
            return addresses.Redis;
        if (Uri.TryCreate(value, UriKind.Absolute, out uri) && uri.Scheme is "http" or "https")
        {
            if (uri.Host == "+") return value; // a listening URL: the cluster sets its own loopback one
            if (addresses.HttpPorts.TryGetValue(uri.Host, out var port))
                return new UriBuilder(uri) { Host = "127.0.0.1", Port = port }.Uri.ToString();
        }
        if (value.StartsWith('/'))
        {
            foreach (var (host, container, _) in service.Mounts.OrderByDescending(mount => mount.Container.Length))
            {
                if (value != container && !value.StartsWith(container + "/", StringComparison.Ordinal)) continue;
                var rest = value[container.Length..].TrimStart('/');
                var hostFolder = host.StartsWith('.') || host.StartsWith('/')
                    ? Path.GetFullPath(host, DeploymentFiles.Root)
                    : Directory.CreateDirectory(Path.Combine(scratchDirectory, host)).FullName; // a named volume
                return rest.Length == 0 ? hostFolder : Path.Combine(hostFolder, rest);
            }
            throw new InvalidOperationException($"{value} is a container path no volume of the service mounts");
        }
        return value;
    }

    private static bool NamesHost(string value, string host) =>
        value == host || value.StartsWith(host + ":", StringComparison.Ordinal) || value.Contains("//" + host + ":", StringComparison.Ordinal)
        || value.Contains("//" + host + "/", StringComparison.Ordinal) || value.Contains("@" + host + ":", StringComparison.Ordinal);
}

/// <summary>Where the compose network's names point on loopback.</summary>
/// <param name="RabbitMq">AMQP URI of the broker (the compose service <c>rabbitmq</c>).</param>
/// <param name="Redis">StackExchange.Redis configuration string (the compose service <c>redis</c>).</param>
/// <param name="HttpPorts">The loopback HTTP port of each application service, by compose service name.</param>
internal sealed record LoopbackAddresses(Uri RabbitMq, string Redis, IReadOnlyDictionary<string, int> HttpPorts);
