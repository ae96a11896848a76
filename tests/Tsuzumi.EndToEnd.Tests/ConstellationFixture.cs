using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using Tsuzumi.Cli.Serving;
using Tsuzumi.Testing;

namespace Tsuzumi.EndToEnd.Tests;

[CollectionDefinition(Name)]
public sealed class ConstellationCollection : ICollectionFixture<ConstellationFixture>
{
    public const string Name = "embedded constellation";
}

/// <summary>
/// One embedded constellation (silo + router + gateway, real tsuzumi-nano weights) for the whole collection, on a
/// copy of the committed catalog in a temp folder so the admin test can replace it. API keys are configured by hash,
/// as an operator would; the keys themselves are fresh random strings known only to this fixture.
/// </summary>
public sealed class ConstellationFixture : IAsyncLifetime
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"tsuzumi-e2e-{Guid.NewGuid():N}");
    private EmbeddedConstellation? constellation;

    public string PublicKey { get; } = NewKey();
    public string AcmeKey { get; } = NewKey();
    public string AcmeAdminKey { get; } = NewKey();

    /// <summary>Two requests, then one every hour: the third request is over the limit.</summary>
    public string TinyLimitKey { get; } = NewKey();

    public Uri GatewayAddress => constellation?.GatewayAddress ?? throw new InvalidOperationException("not started");

    /// <summary>The catalog file the router reads (and an admin's PUT replaces).</summary>
    public string CatalogPath => Path.Combine(folder, "constellation.json");

    /// <summary>The committed catalog with its relative paths made absolute, so the copy serves the repo's models.</summary>
    public string OriginalCatalog { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(folder);
        OriginalCatalog = CatalogWithAbsolutePaths(Path.Combine(RepositoryPaths.Root, "config", "constellation.json"));
        await File.WriteAllTextAsync(CatalogPath, OriginalCatalog);

        var gatewaySettings = new Dictionary<string, string?>();
        AddKey(gatewaySettings, 0, "public-app", PublicKey, "public");
        AddKey(gatewaySettings, 1, "acme-app", AcmeKey, "acme");
        AddKey(gatewaySettings, 2, "acme-admin", AcmeAdminKey, "acme", admin: true);
        AddKey(gatewaySettings, 3, "tiny-limit", TinyLimitKey, "public");
        gatewaySettings["Gateway:ApiKeys:3:RateLimit:Burst"] = "2";
        gatewaySettings["Gateway:ApiKeys:3:RateLimit:Refill"] = "1";
        gatewaySettings["Gateway:ApiKeys:3:RateLimit:RefillPeriod"] = "01:00:00";

        using var startup = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        constellation = await EmbeddedConstellation.StartAsync(CatalogPath, "http://127.0.0.1:0", LogLevel.Warning, startup.Token, gatewaySettings: gatewaySettings);
        await constellation.WaitUntilReadyAsync(TimeSpan.FromMinutes(2), startup.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (constellation is not null) await constellation.DisposeAsync();
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { }
    }

    /// <summary>An HTTP client for the gateway presenting <paramref name="key"/> as a bearer token (none when null).</summary>
    public HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = GatewayAddress, Timeout = TimeSpan.FromMinutes(1) };
        if (key is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return client;
    }

    private static void AddKey(Dictionary<string, string?> settings, int index, string name, string key, string tenant, bool admin = false)
    {
        var prefix = $"Gateway:ApiKeys:{index}:";
        settings[prefix + "Name"] = name;
        settings[prefix + "Sha256"] = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
        settings[prefix + "Tenant"] = tenant;
        if (admin) settings[prefix + "Roles:0"] = "admin";
    }

    private static string NewKey() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(24));

    private static string CatalogWithAbsolutePaths(string committed)
    {
        var directory = Path.GetDirectoryName(committed)!;
        var catalog = JsonNode.Parse(File.ReadAllText(committed))!;
        MakePathsAbsolute(catalog, directory);
        return catalog.ToJsonString(new() { WriteIndented = true });
    }

    private static void MakePathsAbsolute(JsonNode? node, string directory)
    {
        switch (node)
        {
            case JsonObject entries:
                foreach (var (name, value) in entries.ToList())
                {
                    if (name is "path" or "labelledQueries" && value is JsonValue path && path.TryGetValue<string>(out var relative) && !Path.IsPathRooted(relative))
                        entries[name] = Path.GetFullPath(Path.Combine(directory, relative));
                    else
                        MakePathsAbsolute(value, directory);
                }
                break;
            case JsonArray items:
                foreach (var item in items) MakePathsAbsolute(item, directory);
                break;
        }
    }
}
