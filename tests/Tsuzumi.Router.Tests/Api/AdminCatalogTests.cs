using System.Net;
using Xunit;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>PUT /v1/admin/catalog: admins only, validated whole, written atomically, effective without a restart.</summary>
public sealed class AdminCatalogTests
{
    [Fact]
    public async Task A_caller_without_the_admin_role_is_forbidden_and_nothing_changes()
    {
        await using var host = await RouterTestHost.StartAsync(FanOut.ScriptedSpecialists.AllAnswering());
        using var client = host.CreateClient(tenant: "acme");

        using var response = await client.PutAsync("v1/admin/catalog", Http.Json(TestCatalog.WithLegal()), TestContext.Current.CancellationToken);

        await Http.ProblemAsync(response, HttpStatusCode.Forbidden);
        Assert.Equal(TestCatalog.Json, await File.ReadAllTextAsync(host.CatalogPath, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task An_invalid_catalog_is_refused_with_its_problems_and_the_old_one_keeps_serving()
    {
        await using var host = await RouterTestHost.StartAsync(FanOut.ScriptedSpecialists.AllAnswering());
        using var admin = host.CreateClient(admin: true);
        var withoutDescription = TestCatalog.Json.Replace("\"description\": \"money stocks dividends interest rates inflation\",", "");

        using var invalid = await admin.PutAsync("v1/admin/catalog", Http.Json(withoutDescription), TestContext.Current.CancellationToken);
        using var notJson = await admin.PutAsync("v1/admin/catalog", Http.Json("{ not json"), TestContext.Current.CancellationToken);

        var problem = await Http.ProblemAsync(invalid, HttpStatusCode.BadRequest);
        Assert.Contains(problem["problems"]!.AsArray(), p => ((string)p!).Contains("finance"));
        Assert.Contains("not valid JSON", (string?)(await Http.ProblemAsync(notJson, HttpStatusCode.BadRequest))["problems"]![0]);
        Assert.Equal(TestCatalog.Json, await File.ReadAllTextAsync(host.CatalogPath, TestContext.Current.CancellationToken));
        Assert.Contains("finance", Http.Ids((await admin.GetOkAsync("v1/specialists"))["specialists"]));
    }

    [Fact]
    public async Task A_valid_catalog_takes_effect_at_once_without_a_restart()
    {
        await using var host = await RouterTestHost.StartAsync(FanOut.ScriptedSpecialists.AllAnswering());
        using var admin = host.CreateClient(admin: true);
        using var user = host.CreateClient();
        Assert.DoesNotContain("legal", Http.Ids((await user.GetOkAsync("v1/models"))["data"]));

        using var response = await admin.PutAsync("v1/admin/catalog", Http.Json(TestCatalog.WithLegal()), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("legal", Http.Ids((await user.GetOkAsync("v1/models"))["data"]));
        Assert.Contains("legal", Http.Ids((await user.GetOkAsync("v1/specialists"))["specialists"]));
        Assert.Equal(TestCatalog.WithLegal(), await File.ReadAllTextAsync(host.CatalogPath, TestContext.Current.CancellationToken));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(host.CatalogPath)!, "*.tmp"));
    }
}
