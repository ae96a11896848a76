using Tsuzumi.Catalog;
using Tsuzumi.Router.Api;
using Tsuzumi.Router.Api.OpenAi;
using Tsuzumi.Router.Routing;

namespace Microsoft.AspNetCore.Builder;

public static class RouterEndpointExtensions
{
    /// <summary>
    /// Maps /v1/ask, /v1/route, /v1/specialists, the OpenAI-compatible API and the admin catalog endpoint, with
    /// problem+json for every error (unhandled exceptions and bare status codes included). Loads the catalog and
    /// checks that a router is registered now, so a misconfigured service fails at startup, not on the first query.
    /// </summary>
    public static WebApplication MapRouterEndpoints(this WebApplication app)
    {
        _ = app.Services.GetRequiredService<ICatalogSource>().Current;
        if (app.Services.GetService<ISpecialistRouter>() is null)
            throw new InvalidOperationException("No ISpecialistRouter is registered; register the routing services before building the router.");

        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.MapAskEndpoints();
        app.MapOpenAiEndpoints();
        app.MapAdminEndpoints();
        return app;
    }
}
