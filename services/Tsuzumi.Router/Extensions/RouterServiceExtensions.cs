using MassTransit;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tsuzumi.Catalog;
using Tsuzumi.Contracts;
using Tsuzumi.Messaging;
using Tsuzumi.Router;
using Tsuzumi.Router.Aggregation;
using Tsuzumi.Router.Api;
using Tsuzumi.Router.Catalog;
using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Querying;
using Tsuzumi.Router.Routing;
using Tsuzumi.Router.Streaming;
using Orleans.Configuration;

namespace Microsoft.Extensions.Hosting;

public static class RouterServiceExtensions
{
    /// <summary>Connection string that switches the bus from in-memory to RabbitMQ.</summary>
    public const string RabbitMqConnectionName = "rabbitmq";

    /// <summary>
    /// Registers the router: catalog, fan-out over MassTransit (RabbitMQ when <c>ConnectionStrings:rabbitmq</c> is set,
    /// in-memory otherwise — the same code either way), aggregation strategies, and the Orleans client for token
    /// streams (skipped when a silo in the same host already provides the grain factory, or when
    /// <c>Orleans:Client:Enabled</c> is false). Bad configuration fails here, at startup. An
    /// <see cref="Tsuzumi.Router.Routing.ISpecialistRouter"/> must be registered too (Routing/).
    /// </summary>
    /// <param name="configureBus">Adds consumers to the same bus, e.g. the silo's in the embedded host.</param>
    public static IHostApplicationBuilder AddRouterServices(this IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configureBus = null)
    {
        var services = builder.Services;
        var routerOptions = builder.Configuration.GetSection(RouterOptions.Section).Get<RouterOptions>() ?? new RouterOptions();
        routerOptions.Validate();
        services.AddSingleton(Options.Options.Create(routerOptions));
        services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = routerOptions.MaxRequestBodyBytes);
        services.AddProblemDetails();
        services.TryAddSingleton(TimeProvider.System);

        AddCatalog(builder);
        AddBus(builder, configureBus);
        AddTokenStreaming(builder);

        // Optional: a file that keeps the catalog's vectors between starts (the labelled queries take seconds to embed).
        if (builder.Configuration["Routing:EmbeddingCache"] is { Length: > 0 } embeddingCache)
            services.AddSingleton(new RoutingEmbeddingCache(embeddingCache));
        services.AddSpecialistRouting();
        services.AddSingleton<RequestLimits>();
        services.AddScoped<SpecialistFanOut>();
        services.AddScoped<IAggregationStrategy, BestAnswerStrategy>();
        services.AddScoped<IAggregationStrategy, MergeStrategy>();
        services.AddScoped<IAggregationStrategy, VoteStrategy>();
        services.AddScoped<IAggregationStrategy, SynthesizeStrategy>();
        services.AddScoped<AggregationStrategies>();
        services.AddScoped<QueryPipeline>();
        return builder;
    }

    /// <summary>The shared catalog without file checks: the router only routes and names specialists; the files live on the silos.</summary>
    private static void AddCatalog(IHostApplicationBuilder builder)
    {
        builder.Services.AddConstellationCatalog(builder.Configuration, builder.Environment.ContentRootPath, verifyFiles: false);
        builder.Services.AddSingleton<CatalogAdministration>();
    }

    private static void AddBus(IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configureBus)
    {
        var rabbitMq = builder.Configuration.GetConnectionString(RabbitMqConnectionName);
        Uri? rabbitMqUri = null;
        if (!string.IsNullOrWhiteSpace(rabbitMq)
            && (!Uri.TryCreate(rabbitMq, UriKind.Absolute, out rabbitMqUri) || rabbitMqUri.Scheme is not ("amqp" or "amqps" or "rabbitmq" or "rabbitmqs")))
            throw new InvalidOperationException($"ConnectionStrings:{RabbitMqConnectionName} must be an amqp:// URI.");
        var reconnect = RabbitMqReconnectOptions.From(builder.Configuration);

        builder.Services.AddMassTransit(bus =>
        {
            bus.AddRequestClient<AskSpecialist>();
            configureBus?.Invoke(bus);
            if (rabbitMqUri is null)
                bus.UsingInMemory((context, transport) => transport.ConfigureEndpoints(context));
            else
                bus.UsingRabbitMq((context, transport) =>
                {
                    transport.Host(rabbitMqUri);
                    transport.UseReconnectInterval(reconnect.ReconnectInterval);
                    transport.ConfigureEndpoints(context);
                });
        });
        // Start serving only once the bus is connected, and never wait forever for a broker that is down.
        builder.Services.Configure<MassTransitHostOptions>(host =>
        {
            host.WaitUntilStarted = true;
            host.StartTimeout = TimeSpan.FromSeconds(30);
            host.StopTimeout = TimeSpan.FromSeconds(10);
        });
    }

    private static void AddTokenStreaming(IHostApplicationBuilder builder)
    {
        var coHostedSilo = builder.Services.Any(service => service.ServiceType == typeof(IGrainFactory));
        var clientEnabled = builder.Configuration.GetValue("Orleans:Client:Enabled", defaultValue: true);
        if (!coHostedSilo && clientEnabled)
        {
            var configuration = builder.Configuration;
            builder.UseOrleansClient(client =>
            {
                client.Configure<ClusterOptions>(options =>
                {
                    options.ClusterId = configuration["Orleans:ClusterId"] ?? "tsuzumi";
                    options.ServiceId = configuration["Orleans:ServiceId"] ?? "tsuzumi";
                });
                // As the silo: Orleans reads the "Orleans:Clustering" section itself (ProviderType=Redis with a
                // ConnectionString, as Kubernetes sets it); only without one does the client look on localhost.
                if (configuration["Orleans:Clustering:ProviderType"] is not { Length: > 0 })
                    client.UseLocalhostClustering(configuration.GetValue("Orleans:GatewayPort", 30000));
            });
        }
        builder.Services.TryAddSingleton<ISpecialistTokenSource, GrainTokenSource>();
    }
}
