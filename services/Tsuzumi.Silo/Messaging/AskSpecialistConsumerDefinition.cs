using MassTransit;
using Microsoft.Extensions.Configuration;
using Tsuzumi.Contracts;

namespace Tsuzumi.Silo.Messaging;

/// <summary>
/// The <c>ask-specialist</c> endpoint: at most <c>Silo:ConcurrentQueries</c> queries in flight per silo (enough to
/// fill the engines' batches, few enough that a burst waits in the broker rather than in memory), and retries only
/// for <see cref="TransientSpecialistException"/>, which the consumer throws only while the deadline leaves room.
/// </summary>
public sealed class AskSpecialistConsumerDefinition : ConsumerDefinition<AskSpecialistConsumer>
{
    public const int RetryLimit = 3;

    public const int DefaultConcurrentQueries = 32;

    public static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(250);

    public AskSpecialistConsumerDefinition(IConfiguration configuration)
    {
        EndpointName = SpecialistQueues.AskSpecialist;
        var limit = configuration.GetValue("Silo:ConcurrentQueries", DefaultConcurrentQueries);
        if (limit < 1) throw new InvalidOperationException($"Silo:ConcurrentQueries must be at least 1, not {limit}");
        ConcurrentMessageLimit = limit;
    }

    protected override void ConfigureConsumer(IReceiveEndpointConfigurator endpointConfigurator, IConsumerConfigurator<AskSpecialistConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseMessageRetry(retry =>
        {
            retry.Handle<TransientSpecialistException>();
            retry.Interval(RetryLimit, RetryInterval);
        });
    }
}
