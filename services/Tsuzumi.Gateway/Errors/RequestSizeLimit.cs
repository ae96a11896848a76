using Microsoft.AspNetCore.Http.Features;
using Tsuzumi.Gateway.Proxy;

namespace Tsuzumi.Gateway.Errors;

/// <summary>
/// A declared <c>Content-Length</c> over Kestrel's limit is refused at once with 413 problem+json (Kestrel would only
/// fail the read later). Chunked bodies that grow past it fail while being forwarded, and
/// <see cref="ForwarderErrorProblems"/> answers those with 413.
/// </summary>
internal static class RequestSizeLimit
{
    public static Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var limit = context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize;
        return context.Request.ContentLength > limit
            ? GatewayProblems.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "Payload Too Large", ForwarderErrorProblems.TooLargeDetail(context))
            : next();
    }
}
