using Tsuzumi.Router.Catalog;

namespace Tsuzumi.Router.Api;

/// <summary>
/// Admin-only catalog change, effective without a restart. A caller without the admin role gets 403, not 404: the
/// endpoint is documented and its existence reveals nothing about any tenant (unlike a specialist id).
/// </summary>
public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPut("/v1/admin/catalog", ReplaceCatalogAsync);
        return endpoints;
    }

    private static async Task<IResult> ReplaceCatalogAsync(HttpContext context, CatalogAdministration administration, RequestLimits limits)
    {
        if (!Caller.From(context).IsAdmin) return Problems.Forbidden("Changing the catalog needs the admin role.");
        var body = await JsonBody.ReadBytesAsync(context.Request, limits.Options.MaxRequestBodyBytes, context.RequestAborted);
        if (body.Problem is not null) return body.Problem;

        var change = administration.Replace(body.Value!);
        if (change.Accepted)
            return TypedResults.Json(new { version = change.Version }, RouterJson.Responses);
        return TypedResults.Problem(
            change.ReadOnly ? change.Problems[0].Reason : "The catalog was refused; nothing changed. See problems.",
            statusCode: change.ReadOnly ? StatusCodes.Status409Conflict : StatusCodes.Status400BadRequest,
            title: "Catalog not changed",
            extensions: new Dictionary<string, object?> { ["problems"] = change.Problems.Select(problem => problem.ToString()).ToArray() });
    }
}
