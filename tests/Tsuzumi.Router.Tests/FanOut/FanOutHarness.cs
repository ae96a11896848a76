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

    // A process's first round trip builds and JIT-compiles MassTransit's send, consume, respond and fault pipes: on a
    // loaded machine that took 0.5-1.4 s (later round trips: under 50 ms), and a scenario whose specialists must come
    // back within a 2 s deadline read it as timeouts. One throwaway fan-out per test process pays it before any clock starts.
    private static readonly Lazy<Task> FirstRoundTrip = new(RunThrowawayFanOutAsync);

    public static async Task<FanOutHarness> StartAsync(ScriptedSpecialists specialists)
    {
        await FirstRoundTrip.Value;
        return await StartColdAsync(specialists);
    }

    private static async Task RunThrowawayFanOutAsync()
    {
        var specialists = new ScriptedSpecialists()
            .Play("answers", new SpecialistScript())
            .Play("fails", SpecialistScript.Fails(SpecialistFailureCodes.Busy))
            .Play("crashes", new SpecialistScript { Crash = true });
        await using var harness = await StartColdAsync(specialists);
        // No late specialist: it ends as soon as the four have come back, each by its own path (the unknown one too).
        await harness.FanOut.AskAllAsync(Question("warm up", TimeSpan.FromMinutes(1), "answers", "fails", "crashes", "unknown"), CancellationToken.None);
    }

    private static async Task<FanOutHarness> StartColdAsync(ScriptedSpecialists specialists)
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
