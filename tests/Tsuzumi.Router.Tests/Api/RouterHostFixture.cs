using Tsuzumi.Router.Tests.FanOut;
using Xunit;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>One router on the in-memory bus for a test class whose specialists all answer promptly.</summary>
public sealed class RouterHostFixture : IAsyncLifetime
{
    public ScriptedSpecialists Specialists { get; } = ScriptedSpecialists.AllAnswering();

    public RouterTestHost Host { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Host = await RouterTestHost.StartAsync(Specialists);

    public async ValueTask DisposeAsync() => await Host.DisposeAsync();
}
