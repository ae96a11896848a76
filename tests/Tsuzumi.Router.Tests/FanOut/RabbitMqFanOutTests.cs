using System.Net;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using Tsuzumi.Contracts;
using Tsuzumi.Router.Tests.Api;
using Xunit;

namespace Tsuzumi.Router.Tests.FanOut;

/// <summary>The harness scenarios again, end to end: HTTP in, AskSpecialist over a real RabbitMQ, answers back.</summary>
public sealed class RabbitMqFanOutTests(RabbitMqRouterFixture fixture) : IClassFixture<RabbitMqRouterFixture>
{
    private const int DeadlineMs = 2000;

    [Fact]
    public async Task The_bus_is_rabbitmq_when_its_connection_string_is_set()
    {
        fixture.Broker.SkipIfUnavailable();

        Assert.Equal("rabbitmq", fixture.Host.Services.GetRequiredService<IBus>().Address.Scheme);
    }

    [Fact]
    public async Task Every_specialist_answers_over_rabbitmq()
    {
        fixture.Broker.SkipIfUnavailable();
        using var client = fixture.Host.CreateClient(tenant: "acme");

        var answer = await client.PostOkAsync("v1/ask", new { query = "q all", specialists = new[] { "finance", "org-acme" }, deadlineMs = DeadlineMs });

        Assert.False((bool)answer["degraded"]!);
        Assert.Equal(["ok", "ok"], Http.Ids(answer["contributions"], "status"));
        Assert.Equal("## finance\nfinance on: q all\n\n## org-acme\norg-acme on: q all", (string?)answer["answer"]);
    }

    [Fact]
    public async Task One_late_specialist_over_rabbitmq_is_a_timeout_next_to_the_answer()
    {
        fixture.Broker.SkipIfUnavailable();
        using var client = fixture.Host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "q late", specialists = new[] { "finance", "medical" }, deadlineMs = DeadlineMs });

        Assert.True((bool)answer["degraded"]!);
        Assert.Equal(["ok", "timeout"], Http.Ids(answer["contributions"], "status"));
        Assert.Equal("finance on: q late", (string?)answer["answer"]);
    }

    [Fact]
    public async Task One_failed_specialist_over_rabbitmq_is_reported_with_its_code()
    {
        fixture.Broker.SkipIfUnavailable();
        using var client = fixture.Host.CreateClient();

        var answer = await client.PostOkAsync("v1/ask", new { query = "q failed", specialists = new[] { "finance", "general" }, deadlineMs = DeadlineMs });

        Assert.True((bool)answer["degraded"]!);
        Assert.Equal(["ok", "failed"], Http.Ids(answer["contributions"], "status"));
        Assert.Equal(SpecialistFailureCodes.Busy, (string?)answer["contributions"]![1]!["code"]);
    }

    [Fact]
    public async Task All_failed_over_rabbitmq_is_a_problem_with_every_status()
    {
        fixture.Broker.SkipIfUnavailable();
        using var client = fixture.Host.CreateClient();

        var refused = await client.PostProblemAsync("v1/ask", new { query = "q none", specialists = new[] { "medical", "general" }, deadlineMs = DeadlineMs }, HttpStatusCode.ServiceUnavailable);
        var late = await client.PostProblemAsync("v1/ask", new { query = "q none", specialists = new[] { "medical" }, deadlineMs = DeadlineMs }, HttpStatusCode.GatewayTimeout);

        Assert.Equal(["timeout", "failed"], Http.Ids(refused["contributions"], "status"));
        Assert.Equal(["timeout"], Http.Ids(late["contributions"], "status"));
    }
}
