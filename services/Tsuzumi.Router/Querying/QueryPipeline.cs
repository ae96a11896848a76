using Microsoft.Extensions.Options;
using Tsuzumi.Catalog;
using Tsuzumi.Router.Aggregation;
using Tsuzumi.Router.FanOut;
using Tsuzumi.Router.Routing;

namespace Tsuzumi.Router.Querying;

/// <summary>Route → fan out → combine: the path every question takes, from /v1/ask and the OpenAI API alike.</summary>
public sealed class QueryPipeline(
    ICatalogSource catalog,
    ISpecialistRouter router,
    SpecialistFanOut fanOut,
    AggregationStrategies strategies,
    IOptions<RouterOptions> options,
    TimeProvider time)
{
    /// <summary>Named specialists bypass routing; only specialists the tenant may use are ever chosen.</summary>
    public SpecialistSelection Select(string query, string tenant, IReadOnlyList<string>? named)
    {
        var current = catalog.Current;
        if (named is { Count: > 0 })
        {
            var chosen = new List<ChosenSpecialist>();
            foreach (var id in named)
            {
                if (current.FindSpecialist(id) is not { } specialist || !specialist.IsVisibleTo(tenant))
                    return new SpecialistSelection([], null, id);
                chosen.Add(new ChosenSpecialist(id, null) { BaseModel = specialist.BaseModel });
            }
            return new SpecialistSelection(chosen, null);
        }
        var decision = router.Route(query, tenant);
        var scores = decision.Candidates.ToDictionary(candidate => candidate.Id, candidate => candidate.Score);
        var visible = decision.Chosen
            .Select(current.FindSpecialist)
            .OfType<SpecialistDefinition>()
            .Where(specialist => specialist.IsVisibleTo(tenant))
            .Select(specialist => new ChosenSpecialist(specialist.Id, scores.TryGetValue(specialist.Id, out var score) ? score : null) { BaseModel = specialist.BaseModel })
            .ToArray();
        return new SpecialistSelection(visible, decision);
    }

    public async Task<QueryOutcome> AskAsync(QueryRequest request, CancellationToken cancellationToken)
    {
        var queryId = Guid.NewGuid();
        var now = time.GetUtcNow();
        var deadline = now + request.Deadline;
        // Synthesis needs time after the candidates: they get a share of the deadline, the aggregator the rest.
        var candidateDeadline = request.Strategy == AggregationStrategyNames.Synthesize
            ? now + request.Deadline * options.Value.SynthesisCandidateShare
            : deadline;
        var contributions = await fanOut.AskAllAsync(
            new FanOutRequest(queryId, request.Tenant, request.Conversation, request.Specialists, request.Generation, candidateDeadline),
            cancellationToken);
        var answers = contributions.Where(contribution => contribution.IsAnswer).ToArray();
        if (answers.Length == 0)
            return new QueryOutcome(queryId, null, null, true, contributions, null, Usage.Of(contributions));

        var strategyName = request.Strategy ?? AggregationStrategies.DefaultFor(answers);
        var result = await strategies.Get(strategyName).CombineAsync(
            new AggregationInput(queryId, request.Query, request.Tenant, answers, request.Generation, deadline),
            cancellationToken);
        var degraded = result.Degraded || answers.Length < contributions.Count;
        var usage = Usage.Of(result.Aggregator is null ? contributions : [.. contributions, result.Aggregator]);
        return new QueryOutcome(queryId, result.Answer, result.Strategy, degraded, contributions, result.Aggregator, usage);
    }
}
