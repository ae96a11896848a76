using System.Net;
using Xunit;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>Another tenant's specialist does not exist for a caller: 404 like an unknown one, absent from every list.</summary>
public sealed class TenantIsolationTests(RouterHostFixture fixture) : IClassFixture<RouterHostFixture>
{
    [Fact]
    public async Task The_public_tenant_does_not_see_acmes_specialist_in_any_list()
    {
        using var client = fixture.Host.CreateClient();

        var specialists = Http.Ids((await client.GetOkAsync("v1/specialists"))["specialists"]);
        var models = Http.Ids((await client.GetOkAsync("v1/models"))["data"]);
        var route = await client.PostOkAsync("v1/route", new { query = "when is the expense report deadline" });

        Assert.Equal(["finance", "general", "medical"], specialists.Order());
        Assert.Equal(["constellation", "finance", "general", "medical"], models.Order());
        Assert.DoesNotContain("org-acme", Http.Ids(route["candidates"]));
        Assert.DoesNotContain("org-acme", route["chosen"]!.AsArray().Select(id => (string)id!));
    }

    [Fact]
    public async Task Asking_for_another_tenants_specialist_is_the_same_404_as_asking_for_one_that_does_not_exist()
    {
        using var client = fixture.Host.CreateClient();

        var hidden = await client.PostProblemAsync("v1/ask", new { query = "q", specialists = new[] { "org-acme" } }, HttpStatusCode.NotFound);
        var missing = await client.PostProblemAsync("v1/ask", new { query = "q", specialists = new[] { "org-nobody" } }, HttpStatusCode.NotFound);
        var chat = await client.PostProblemAsync("v1/chat/completions",
            new { model = "org-acme", messages = new[] { new { role = "user", content = "q" } } }, HttpStatusCode.NotFound);
        using var entry = await client.GetAsync("v1/specialists/org-acme", TestContext.Current.CancellationToken);
        using var model = await client.GetAsync("v1/models/org-acme", TestContext.Current.CancellationToken);

        Assert.Equal((string?)missing["title"], (string?)hidden["title"]);
        Assert.Equal(((string?)missing["detail"])!.Replace("org-nobody", "org-acme"), (string?)hidden["detail"]);
        Assert.Contains("org-acme", (string?)chat["detail"]);
        await Http.ProblemAsync(entry, HttpStatusCode.NotFound);
        await Http.ProblemAsync(model, HttpStatusCode.NotFound);
        Assert.DoesNotContain(fixture.Specialists.Received, question => question.SpecialistId == "org-acme" && question.Tenant == "public");
    }

    [Fact]
    public async Task Acme_sees_and_uses_its_own_specialist_and_routing_picks_it()
    {
        using var client = fixture.Host.CreateClient(tenant: "acme");

        var specialists = Http.Ids((await client.GetOkAsync("v1/specialists"))["specialists"]);
        var answer = await client.PostOkAsync("v1/ask", new { query = "when is the expense report deadline" });

        Assert.Contains("org-acme", specialists);
        Assert.Contains("org-acme", Http.Ids(answer["contributions"], "specialist"));
        Assert.Contains(fixture.Specialists.Received, question => question.SpecialistId == "org-acme" && question.Tenant == "acme");
    }
}
