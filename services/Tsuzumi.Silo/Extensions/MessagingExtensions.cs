using MassTransit;
using Tsuzumi.Messaging;
using Tsuzumi.Silo.Messaging;

namespace Tsuzumi.Silo.Extensions;

/// <summary>MassTransit with the <c>ask-specialist</c> consumer: RabbitMQ when <c>ConnectionStrings:rabbitmq</c> is set, else in memory (one process).</summary>
public static class MessagingExtensions
{
    public const string RabbitMqConnectionName = "rabbitmq";

    public static IServiceCollection AddSpecialistMessaging(this IServiceCollection services, IConfiguration configuration)
    {
        var rabbitMq = configuration.GetConnectionString(RabbitMqConnectionName);
        Uri? broker = null;
        if (!string.IsNullOrWhiteSpace(rabbitMq) && (!Uri.TryCreate(rabbitMq, UriKind.Absolute, out broker) || broker.Scheme is not ("amqp" or "amqps")))
            throw new InvalidOperationException($"ConnectionStrings:{RabbitMqConnectionName} must be an amqp:// or amqps:// URL");
        var reconnect = RabbitMqReconnectOptions.From(configuration);
        services.AddMassTransit(bus =>
        {
            bus.AddSpecialistConsumer();
            if (broker is null)
            {
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            }
            else
            {
                bus.UsingRabbitMq((context, transport) =>
                {
                    transport.Host(broker);
                    transport.UseReconnectInterval(reconnect.ReconnectInterval);
                    transport.ConfigureEndpoints(context);
                });
            }
        });
        return services;
    }

    /// <summary>The <c>AskSpecialist</c> consumer with its definition (concurrency limit, retries), on any bus.</summary>
    public static IBusRegistrationConfigurator AddSpecialistConsumer(this IBusRegistrationConfigurator bus)
    {
        bus.AddConsumer<AskSpecialistConsumer, AskSpecialistConsumerDefinition>();
        return bus;
    }
}
