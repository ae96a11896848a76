using Tsuzumi.Catalog;
using Tsuzumi.Contracts;
using Tsuzumi.Router.Aggregation;
using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Querying;

namespace Tsuzumi.Router.Api;

/// <summary>The constellation's own API: ask, route, and the specialists the caller may use.</summary>
public static class AskEndpoints
{
    public static IEndpointRouteBuilder MapAskEndpoints(this IEndpointRouteBuilder endpoints)
    {
        var v1 = endpoints.MapGroup("/v1");
        v1.MapPost("/ask", AskAsync);
        v1.MapPost("/route", RouteAsync);
        v1.MapGet("/specialists", ListSpecialists);
        v1.MapGet("/specialists/{id}", GetSpecialist);
        return endpoints;
    }

    private static async Task<IResult> AskAsync(HttpContext context, QueryPipeline pipeline, AggregationStrategies strategies, RequestLimits limits)
    {
        var body = await JsonBody.ReadAsync<AskRequest>(context.Request, RouterJson.Requests, limits.Options.MaxRequestBodyBytes, context.RequestAborted);
        if (body.Problem is not null) return body.Problem;
        var ask = body.Value!;
        var generation = new GenerationOverrides(ask.MaxTokens, ask.Temperature, ask.TopK);
        var invalid = limits.CheckQuery(ask.Query, "query")
            ?? limits.CheckGeneration(generation)
            ?? limits.CheckDeadline(ask.DeadlineMs, out _)
            ?? CheckStrategy(ask.Strategy, strategies)
            ?? CheckNamed(ask.Specialists, limits.Options.MaxNamedSpecialists);
        if (invalid is not null) return Problems.BadRequest(invalid);
        limits.CheckDeadline(ask.DeadlineMs, out var deadline);

        var caller = Caller.From(context);
        var selection = pipeline.Select(ask.Query!, caller.Tenant, ask.Specialists);
        if (selection.Unknown is not null) return Problems.SpecialistNotFound(selection.Unknown);
        if (selection.Chosen.Count == 0) return Problems.NoSpecialistAvailable();

        var request = new QueryRequest(caller.Tenant, [new ChatTurn("user", ask.Query!)], selection.Chosen, ask.Strategy?.ToLowerInvariant(), generation, deadline);
        var outcome = await pipeline.AskAsync(request, context.RequestAborted);
        return outcome.Answered ? TypedResults.Json(AskResponse.From(outcome), RouterJson.Responses) : Problems.NoAnswer(outcome);
    }

    private static async Task<IResult> RouteAsync(HttpContext context, QueryPipeline pipeline, RequestLimits limits)
    {
        var body = await JsonBody.ReadAsync<RouteRequest>(context.Request, RouterJson.Requests, limits.Options.MaxRequestBodyBytes, context.RequestAborted);
        if (body.Problem is not null) return body.Problem;
        if (limits.CheckQuery(body.Value!.Query, "query") is { } invalid) return Problems.BadRequest(invalid);
        var selection = pipeline.Select(body.Value.Query!, Caller.From(context).Tenant, named: null);
        var decision = selection.Route!;
        return TypedResults.Json(new
        {
            candidates = decision.Candidates.Select(candidate => new { id = candidate.Id, score = candidate.Score }),
            chosen = selection.Chosen.Select(chosen => chosen.Id),
            fellBack = decision.FellBack,
        }, RouterJson.Responses);
    }

    private static IResult ListSpecialists(HttpContext context, ICatalogSource catalog) =>
        TypedResults.Json(new { specialists = catalog.Current.VisibleTo(Caller.From(context).Tenant).Select(SpecialistView.From) }, RouterJson.Responses);

    private static IResult GetSpecialist(string id, HttpContext context, ICatalogSource catalog) =>
        catalog.Current.FindSpecialist(id) is { } specialist && specialist.IsVisibleTo(Caller.From(context).Tenant)
            ? TypedResults.Json(SpecialistView.From(specialist), RouterJson.Responses)
            : Problems.SpecialistNotFound(id);

    private static string? CheckStrategy(string? strategy, AggregationStrategies strategies) =>
        strategy is null || strategies.IsKnown(strategy)
            ? null
            : $"strategy '{strategy}' is not one of {string.Join(", ", AggregationStrategyNames.All)}.";

    private static string? CheckNamed(IReadOnlyList<string>? specialists, int max)
    {
        if (specialists is null) return null;
        if (specialists.Count > max) return $"at most {max} specialists may be named, not {specialists.Count}.";
        if (specialists.Any(string.IsNullOrWhiteSpace)) return "specialists must not contain empty names.";
        if (specialists.Distinct().Count() != specialists.Count) return "specialists must not name one specialist twice.";
        return null;
    }
}

/// <summary>What a caller sees of a catalog entry: no file paths, no tenant list.</summary>
public sealed record SpecialistView(string Id, string Description, string BaseModel, IReadOnlyList<string> Examples, bool IsFallback, int MaxTokens, float Temperature)
{
    public static SpecialistView From(SpecialistDefinition specialist) => new(
        specialist.Id, specialist.Description, specialist.BaseModel, specialist.Examples, specialist.IsFallback,
        specialist.Generation.MaxTokens, specialist.Generation.Temperature);
}
