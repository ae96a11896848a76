using Dapr;
using Tsuzumi.Silo.AdapterLifecycle;

namespace Tsuzumi.Silo.Extensions;

/// <summary>
/// Dapr's one job in the constellation: adapter-published events. The silo's sidecar delivers them as CloudEvents to
/// <c>POST /adapters/published</c> (advertised at <c>/dapr/subscribe</c>); the same handler answers
/// <c>POST /admin/adapters/published</c> for a silo without a sidecar.
/// </summary>
public static class AdapterLifecycleExtensions
{
    public const string PubSubName = "pubsub";
    public const string Topic = "adapter-published";
    public const string SubscriptionRoute = "/adapters/published";
    public const string AdminRoute = "/admin/adapters/published";

    public static IHostApplicationBuilder AddAdapterLifecycle(this IHostApplicationBuilder builder)
    {
        var options = builder.Configuration.GetSection(AdapterLifecycleOptions.Section).Get<AdapterLifecycleOptions>() ?? new AdapterLifecycleOptions();
        if (string.IsNullOrWhiteSpace(options.Directory)) throw new InvalidOperationException($"{AdapterLifecycleOptions.Section}:Directory is empty");
        if (options.MaxArchiveBytes < 1) throw new InvalidOperationException($"{AdapterLifecycleOptions.Section}:MaxArchiveBytes must be positive");
        builder.Services.AddSingleton(options);
        builder.Services.AddHttpClient(AdapterPublicationHandler.HttpClientName);
        builder.Services.AddSingleton<AdapterPublicationHandler>();
        return builder;
    }

    /// <summary>CloudEvents unwrapping; must run before the endpoints.</summary>
    public static IApplicationBuilder UseAdapterLifecycle(this IApplicationBuilder app) => app.UseCloudEvents();

    public static IEndpointRouteBuilder MapAdapterLifecycleEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapSubscribeHandler();
        // Dapr retries a non-2xx answer; a rejected version will not get better, so it is dropped (and logged).
        endpoints.MapPost(SubscriptionRoute, async (AdapterPublished published, AdapterPublicationHandler handler, CancellationToken cancellation) =>
        {
            var result = await handler.HandleAsync(published, cancellation);
            return Results.Ok(new { status = result.Outcome == AdapterPublicationOutcome.Rejected ? "DROP" : "SUCCESS", outcome = result.Outcome.ToString(), detail = result.Detail });
        }).WithTopic(PubSubName, Topic);
        endpoints.MapPost(AdminRoute, async (AdapterPublished published, AdapterPublicationHandler handler, CancellationToken cancellation) =>
        {
            var result = await handler.HandleAsync(published, cancellation);
            return result.Outcome == AdapterPublicationOutcome.Rejected
                ? Results.Problem(title: "Adapter version rejected", detail: result.Detail, statusCode: StatusCodes.Status422UnprocessableEntity)
                : Results.Ok(new { outcome = result.Outcome.ToString(), detail = result.Detail, directory = result.Directory });
        });
        return endpoints;
    }
}
