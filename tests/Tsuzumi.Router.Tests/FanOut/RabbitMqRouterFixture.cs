using System.Net.Http.Json;
using Tsuzumi.Contracts;
using Tsuzumi.Router.Tests.Api;
using Tsuzumi.Testing.Brokers;
using Xunit;

namespace Tsuzumi.Router.Tests.FanOut;

/// <summary>
/// A real RabbitMQ (see <see cref="RabbitMqFixture"/>) and one router using it, with specialists that cover every
/// outcome: finance and org-acme answer, medical is always late, general is always busy.
/// </summary>
public sealed class RabbitMqRouterFixture : IAsyncLifetime
{
    public RabbitMqFixture Broker { get; } = new();

    public ScriptedSpecialists Specialists { get; } = new ScriptedSpecialists()
        .Play("finance", new SpecialistScript { MeanLogProbability = -0.4 })
        .Play("org-acme", new SpecialistScript { MeanLogProbability = -0.3 })
        .Play("medical", SpecialistScript.Late(TimeSpan.FromSeconds(30)))
        .Play("general", SpecialistScript.Fails(SpecialistFailureCodes.Busy));

    public RouterTestHost Host => host ?? throw new InvalidOperationException("no broker: call Broker.SkipIfUnavailable() first");

    private RouterTestHost? host;

    public async ValueTask InitializeAsync()
    {
        await Broker.InitializeAsync();
        if (!Broker.IsAvailable) return;
        host = await RouterTestHost.StartAsync(Specialists, Broker.AmqpUri);
        await WarmUpAsync(host);
    }

    // A fresh process's first round trip pays MassTransit's pipeline set-up (0.5–1.4 s on a loaded machine, see
    // FanOutHarness), which a scenario's 2 s deadline must not count: paid here once, by an answer and a failure with a
    // generous deadline.
    private static async Task WarmUpAsync(RouterTestHost host)
    {
        using var client = host.CreateClient(tenant: "acme");
        using var response = await client.PostAsJsonAsync("v1/ask", new { query = "warm up", specialists = new[] { "finance", "general" }, deadlineMs = 60_000 });
        response.EnsureSuccessStatusCode();
    }

    public async ValueTask DisposeAsync()
    {
        if (host is not null) await host.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
