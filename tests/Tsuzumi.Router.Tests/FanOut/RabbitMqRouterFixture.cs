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
        if (Broker.IsAvailable) host = await RouterTestHost.StartAsync(Specialists, Broker.AmqpUri);
    }

    public async ValueTask DisposeAsync()
    {
        if (host is not null) await host.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
