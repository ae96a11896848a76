using MassTransit;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Tsuzumi.Catalog;
using Tsuzumi.Contracts;
using Tsuzumi.Router;
using Tsuzumi.Router.Aggregation;
using Tsuzumi.Router.Api;
using Tsuzumi.Router.Catalog;
using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Querying;
using Tsuzumi.Router.Streaming;

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

    private static void AddCatalog(IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(CatalogOptions.Section).Get<CatalogOptions>() ?? new CatalogOptions();
        if (string.IsNullOrWhiteSpace(options.Path)) throw new InvalidOperationException($"{CatalogOptions.Section}:Path is empty; name the catalog file.");
        options.Path = Path.GetFullPath(options.Path, builder.Environment.ContentRootPath);
        builder.Services.AddSingleton(options);
        builder.Services.AddSingleton(provider =>
        {
            var logger = provider.GetRequiredService<ILoggerFactory>().CreateLogger("Tsuzumi.Router.Catalog");
            return new CatalogMonitor(options.Path, problem => logger.LogWarning("Catalog: {Problem}", problem), options.VerifyFiles);
        });
        builder.Services.TryAddSingleton<ICatalogSource>(provider => provider.GetRequiredService<CatalogMonitor>());
        builder.Services.AddSingleton<CatalogAdministration>();
    }

    private static void AddBus(IHostApplicationBuilder builder, Action<IBusRegistrationConfigurator>? configureBus)
    {
        var rabbitMq = builder.Configuration.GetConnectionString(RabbitMqConnectionName);
        Uri? rabbitMqUri = null;
        if (!string.IsNullOrWhiteSpace(rabbitMq)
            && (!Uri.TryCreate(rabbitMq, UriKind.Absolute, out rabbitMqUri) || rabbitMqUri.Scheme is not ("amqp" or "amqps" or "rabbitmq" or "rabbitmqs")))
            throw new InvalidOperationException($"ConnectionStrings:{RabbitMqConnectionName} must be an amqp:// URI.");

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
            var redis = builder.Configuration["Orleans:Clustering:Redis"];
            builder.UseOrleansClient(client =>
            {
                if (string.IsNullOrWhiteSpace(redis)) client.UseLocalhostClustering();
                else client.UseRedisClustering(redis);
            });
        }
        builder.Services.TryAddSingleton<ISpecialistTokenSource, GrainTokenSource>();
    }
}
