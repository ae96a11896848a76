using Microsoft.AspNetCore.Mvc;

namespace Tsuzumi.Gateway.Errors;

/// <summary>Every error the gateway itself answers is <c>application/problem+json</c>, written here.</summary>
internal static class GatewayProblems
{
    public static async Task WriteAsync(HttpContext context, int status, string title, string detail)
    {
        context.Response.StatusCode = status;
        var problem = new ProblemDetails
        {
            Status = status,
            Title = title,
            Detail = detail,
            Type = $"https://httpstatuses.io/{status}",
            Instance = context.Request.Path,
        };
        var writer = context.RequestServices.GetRequiredService<IProblemDetailsService>();
        if (!await writer.TryWriteAsync(new ProblemDetailsContext { HttpContext = context, ProblemDetails = problem }))
        {
            // Only when a client's Accept rules JSON out; it still gets problem+json, the one error format here.
            await Results.Problem(problem).ExecuteAsync(context);
        }
    }
}
