using Tsuzumi.Contracts;
using Tsuzumi.Router.Querying;

namespace Tsuzumi.Router.Api;

/// <summary>RFC 9457 problem+json answers, one place for their titles so every endpoint says the same thing.</summary>
public static class Problems
{
    public static IResult BadRequest(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status400BadRequest, title: "The request is not valid");

    /// <summary>Unknown, or another tenant's: both are "does not exist" so a tenant learns nothing about others.</summary>
    public static IResult SpecialistNotFound(string id) =>
        TypedResults.Problem($"There is no specialist '{id}'.", statusCode: StatusCodes.Status404NotFound, title: "No such specialist");

    public static IResult NoSpecialistAvailable() =>
        TypedResults.Problem("No specialist this caller may use fits the query, and there is no fallback.",
            statusCode: StatusCodes.Status404NotFound, title: "No specialist available");

    public static IResult Forbidden(string detail) =>
        TypedResults.Problem(detail, statusCode: StatusCodes.Status403Forbidden, title: "Forbidden");

    public static IResult TooLarge(long limit) =>
        TypedResults.Problem($"The request body is larger than {limit} bytes.", statusCode: StatusCodes.Status413PayloadTooLarge, title: "Request too large");

    public static IResult UnsupportedMediaType(string contentType) =>
        TypedResults.Problem($"Content-Type '{contentType}' is not JSON; send application/json.",
            statusCode: StatusCodes.Status415UnsupportedMediaType, title: "Unsupported media type");

    /// <summary>Nobody answered: 504 when every specialist ran out of time, 503 when some refused; the evidence goes along.</summary>
    public static IResult NoAnswer(QueryOutcome outcome) =>
        TypedResults.Problem(
            outcome.AllTimedOut
                ? "No specialist answered before the deadline."
                : "No specialist could answer: " + string.Join("; ", outcome.Contributions.Select(c => $"{c.Specialist}: {c.FailureCode} ({c.FailureReason})")),
            statusCode: outcome.AllTimedOut ? StatusCodes.Status504GatewayTimeout : StatusCodes.Status503ServiceUnavailable,
            title: "No answer",
            extensions: new Dictionary<string, object?>
            {
                ["queryId"] = outcome.QueryId,
                ["contributions"] = outcome.Contributions.Select(AskResponse.ContributionView.From).ToArray(),
            });

    /// <summary>A specialist's failure code as an HTTP status (streaming, where one specialist is the whole answer).</summary>
    public static IResult SpecialistFailure(string code, string reason)
    {
        var status = code switch
        {
            SpecialistFailureCodes.UnknownSpecialist => StatusCodes.Status404NotFound,
            SpecialistFailureCodes.PromptTooLong => StatusCodes.Status400BadRequest,
            SpecialistFailureCodes.Busy or SpecialistFailureCodes.Unavailable => StatusCodes.Status503ServiceUnavailable,
            SpecialistFailureCodes.DeadlineExceeded => StatusCodes.Status504GatewayTimeout,
            _ => StatusCodes.Status502BadGateway,
        };
        return TypedResults.Problem(reason, statusCode: status, title: "The specialist could not answer",
            extensions: new Dictionary<string, object?> { ["code"] = code });
    }
}
