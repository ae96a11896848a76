using Tsuzumi.Gateway.Authentication;
using Tsuzumi.Gateway.Configuration;

namespace Tsuzumi.Gateway.Tests.Authentication;

public sealed class ApiKeyRegistryTests
{
    [Fact]
    public void A_key_matches_its_hashed_entry_and_nothing_else_does()
    {
        var registry = ApiKeyRegistry.Load(new GatewayOptions
        {
            ApiKeys =
            [
                new ApiKeyEntry { Name = "a", Sha256 = ApiKeyRegistry.HashOf("key-a"), Tenant = "acme" },
                new ApiKeyEntry { Name = "b", Sha256 = ApiKeyRegistry.HashOf("key-b").ToUpperInvariant(), Tenant = "globex", Roles = ["admin"] },
            ],
        }, Path.GetTempPath());

        Assert.True(registry.RequiresKeys);
        Assert.Equal(("a", "acme", false), registry.Match("key-a") is { } a ? (a.Name, a.Tenant, a.IsAdmin) : default);
        Assert.Equal(("b", "globex", true), registry.Match("key-b") is { } b ? (b.Name, b.Tenant, b.IsAdmin) : default);
        Assert.Null(registry.Match("key-c"));
        Assert.Null(registry.Match(ApiKeyRegistry.HashOf("key-a")));
        Assert.Null(registry.Match(""));
    }

    [Fact]
    public void Keys_come_from_a_mounted_secret_file_as_well_as_configuration()
    {
        var directory = Directory.CreateTempSubdirectory("tsuzumi-gateway-keys-");
        try
        {
            File.WriteAllText(Path.Combine(directory.FullName, "keys.json"), $$"""
                { "ApiKeys": [ { "Name": "from-file", "Sha256": "{{ApiKeyRegistry.HashOf("secret-key")}}", "Tenant": "initech",
                                 "RateLimit": { "Burst": 5, "Refill": 1, "RefillPeriod": "00:00:10" } } ] }
                """);
            var registry = ApiKeyRegistry.Load(new GatewayOptions
            {
                ApiKeys = [new ApiKeyEntry { Name = "from-config", Sha256 = ApiKeyRegistry.HashOf("config-key"), Tenant = "acme" }],
                ApiKeysFile = "keys.json",
            }, directory.FullName);

            Assert.Equal(2, registry.Identities.Count);
            var fromFile = registry.Match("secret-key")!;
            Assert.Equal(("from-file", "initech", 5), (fromFile.Name, fromFile.Tenant, fromFile.RateLimit.Burst));
            Assert.Equal("acme", registry.Match("config-key")!.Tenant);
            Assert.Equal(Path.Combine(directory.FullName, "keys.json"), registry.SecretFile);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void No_keys_means_the_open_loopback_mode()
    {
        Assert.False(ApiKeyRegistry.Load(new GatewayOptions(), Path.GetTempPath()).RequiresKeys);
    }

    [Fact]
    public void Every_problem_in_the_key_configuration_is_reported_at_once()
    {
        var exception = Assert.Throws<InvalidOperationException>(() => ApiKeyRegistry.Load(new GatewayOptions
        {
            ApiKeys =
            [
                new ApiKeyEntry { Name = "plain", Sha256 = "my-secret-key", Tenant = "acme" },
                new ApiKeyEntry { Name = "dup", Sha256 = ApiKeyRegistry.HashOf("x"), Tenant = "acme" },
                new ApiKeyEntry { Name = "dup", Sha256 = ApiKeyRegistry.HashOf("y"), Tenant = "acme" },
                new ApiKeyEntry { Name = "same-hash", Sha256 = ApiKeyRegistry.HashOf("x"), Tenant = "acme" },
                new ApiKeyEntry { Name = "bad-tenant", Sha256 = ApiKeyRegistry.HashOf("z"), Tenant = "*" },
                new ApiKeyEntry { Name = "bad-role", Sha256 = ApiKeyRegistry.HashOf("w"), Tenant = "acme", Roles = ["root"] },
                new ApiKeyEntry { Name = "bad-limit", Sha256 = ApiKeyRegistry.HashOf("v"), Tenant = "acme", RateLimit = new() { Burst = 0, Refill = 1 } },
            ],
            ApiKeysFile = "/nonexistent/keys.json",
        }, Path.GetTempPath()));

        Assert.Contains("Gateway:ApiKeys:0: Sha256 must be the 64 hex digits", exception.Message);
        Assert.Contains("Name 'dup' is used by another key", exception.Message);
        Assert.Contains("Gateway:ApiKeys:3: the same key hash is configured twice", exception.Message);
        Assert.Contains("Tenant '*'", exception.Message);
        Assert.Contains("unknown role 'root'", exception.Message);
        Assert.Contains("Burst must be at least 1", exception.Message);
        Assert.Contains("/nonexistent/keys.json' does not exist", exception.Message);
        Assert.DoesNotContain("my-secret-key", exception.Message);
    }

    [Fact]
    public void A_secret_file_that_is_not_json_is_a_clear_startup_error()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, "ApiKeys: [ not json");
            var exception = Assert.Throws<InvalidOperationException>(() => ApiKeyRegistry.Load(new GatewayOptions { ApiKeysFile = file }, Path.GetTempPath()));
            Assert.Contains("is not readable JSON", exception.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }
}
