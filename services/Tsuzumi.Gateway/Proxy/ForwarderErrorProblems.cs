using Microsoft.AspNetCore.Http.Features;
using Tsuzumi.Gateway.Errors;
using Yarp.ReverseProxy.Forwarder;

namespace Tsuzumi.Gateway.Proxy;

/// <summary>
/// YARP answers a failed forward with a bare status code (502/503/504/…); this step of the proxy pipeline turns it
/// into problem+json that says what went wrong, as long as nothing has been sent yet.
/// </summary>
internal static class ForwarderErrorProblems
{
    public static async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        await next();
        if (context.Response.HasStarted || context.RequestAborted.IsCancellationRequested) return;
        if (context.Features.Get<IForwarderErrorFeature>() is not { } failure) return;

        var (status, title, detail) = failure.Error switch
        {
            ForwarderError.NoAvailableDestinations =>
                (StatusCodes.Status503ServiceUnavailable, "Service Unavailable", "No router replica is healthy right now; retry shortly."),
            ForwarderError.RequestTimedOut =>
                (StatusCodes.Status504GatewayTimeout, "Gateway Timeout", "The router did not answer in time."),
            ForwarderError.RequestBodyClient when IsTooLarge(failure.Exception) =>
                (StatusCodes.Status413PayloadTooLarge, "Payload Too Large", TooLargeDetail(context)),
            ForwarderError.RequestBodyClient or ForwarderError.RequestCanceled =>
                (StatusCodes.Status400BadRequest, "Bad Request", "The request body could not be read from the client."),
            _ => (StatusCodes.Status502BadGateway, "Bad Gateway", "The router could not be reached or failed while answering."),
        };
        await GatewayProblems.WriteAsync(context, status, title, detail);
    }

    internal static string TooLargeDetail(HttpContext context) =>
        $"The request body is larger than the gateway accepts ({context.Features.Get<IHttpMaxRequestBodySizeFeature>()?.MaxRequestBodySize} bytes).";

    private static bool IsTooLarge(Exception? exception)
    {
        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (current is BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge }) return true;
        }
        return false;
    }
}
