using MassTransit;

namespace Tsuzumi.Benchmarks.Bus;

/// <summary>The trivial responder: answers at once, so a round trip is the bus's own cost.</summary>
public sealed class BusPingConsumer : IConsumer<BusPing>
{
    public Task Consume(ConsumeContext<BusPing> context) => context.RespondAsync(new BusPong(context.Message.Sequence));
}
