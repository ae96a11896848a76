using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Tsuzumi.Contracts;
using Tsuzumi.Router.Aggregation;
using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Tests.FanOut;

/// <summary>The fan-out on MassTransit's test harness (in-memory transport), with scripted specialists as consumers.</summary>
public sealed class FanOutHarness : IAsyncDisposable
{
    private readonly ServiceProvider provider;
    private readonly AsyncServiceScope scope;

    private FanOutHarness(ServiceProvider provider)
    {
        this.provider = provider;
        scope = provider.CreateAsyncScope();
    }

    public ITestHarness Bus => provider.GetRequiredService<ITestHarness>();

    public SpecialistFanOut FanOut => scope.ServiceProvider.GetRequiredService<SpecialistFanOut>();

    public SynthesizeStrategy Synthesize => scope.ServiceProvider.GetRequiredService<SynthesizeStrategy>();

    public static async Task<FanOutHarness> StartAsync(ScriptedSpecialists specialists)
    {
        var provider = new ServiceCollection()
            .AddLogging()
            .AddSingleton(specialists)
            .AddSingleton(TimeProvider.System)
            .AddSingleton(Options.Create(new RouterOptions()))
            .AddScoped<SpecialistFanOut>()
            .AddScoped<SynthesizeStrategy>()
            .AddMassTransitTestHarness(bus =>
            {
                bus.AddConsumer<ScriptedSpecialistConsumer, ScriptedSpecialistConsumerDefinition>();
                bus.AddRequestClient<AskSpecialist>();
            })
            .BuildServiceProvider(validateScopes: true);
        var harness = new FanOutHarness(provider);
        await harness.Bus.Start();
        return harness;
    }

    public static FanOutRequest Question(string query, TimeSpan deadline, params string[] specialists) => new(
        Guid.NewGuid(),
        "public",
        [new ChatTurn("user", query)],
        specialists.Select(id => new ChosenSpecialist(id, 0.5)).ToArray(),
        GenerationOverrides.None,
        DateTimeOffset.UtcNow + deadline);

    public async ValueTask DisposeAsync()
    {
        await scope.DisposeAsync();
        await provider.DisposeAsync();
    }
}
