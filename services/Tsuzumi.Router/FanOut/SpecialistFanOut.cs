using System.Diagnostics;
using MassTransit;
using Tsuzumi.Contracts;

namespace Tsuzumi.Router.FanOut;

/// <summary>
/// Asks every chosen specialist in parallel over the bus (one <see cref="AskSpecialist"/> each) and waits for them
/// until the deadline. Answers that arrive in time are kept; late ones come back as timeouts and failures with their
/// code, so the caller always gets one contribution per specialist. Cancelling (the client went away) stops the wait.
/// </summary>
public sealed class SpecialistFanOut(IRequestClient<AskSpecialist> client, TimeProvider time, ILogger<SpecialistFanOut> logger)
{
    // The request client's own timeout is the deadline; this margin only catches a send that never returns (a broker
    // that is down), so that no query outlives its deadline by more than a blink.
    private static readonly TimeSpan HardStopMargin = TimeSpan.FromMilliseconds(250);

    public async Task<IReadOnlyList<Contribution>> AskAllAsync(FanOutRequest request, CancellationToken cancellationToken)
    {
        var asks = request.Specialists.Select(specialist => AskOneAsync(request, specialist, cancellationToken));
        return await Task.WhenAll(asks);
    }

    public async Task<Contribution> AskOneAsync(FanOutRequest request, ChosenSpecialist specialist, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var remaining = request.Deadline - time.GetUtcNow();
        if (remaining <= TimeSpan.Zero) return TimedOut(specialist, started, "the deadline had passed before the question was sent");

        using var hardStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        hardStop.CancelAfter(remaining + HardStopMargin);
        var message = new AskSpecialist
        {
            QueryId = request.QueryId,
            SpecialistId = specialist.Id,
            Tenant = request.Tenant,
            Conversation = request.Conversation,
            MaxTokens = request.Generation.MaxTokens,
            Temperature = request.Generation.Temperature,
            TopK = request.Generation.TopK,
            Deadline = request.Deadline,
            AsksOnSameBaseModel = specialist.BaseModel is null ? 1 : request.Specialists.Count(other => other.BaseModel == specialist.BaseModel),
        };
        try
        {
            var timeout = RequestTimeout.After(ms: (int)Math.Ceiling(remaining.TotalMilliseconds));
            // WaitAsync: a send stuck on a lost broker connection may not heed the token; the deadline holds anyway.
            var response = await client.GetResponse<SpecialistAnswered, SpecialistFailed>(message, hardStop.Token, timeout)
                .WaitAsync(remaining + HardStopMargin, cancellationToken);
            if (response.Is(out Response<SpecialistAnswered>? answered))
            {
                var answer = answered.Message;
                return new Contribution(specialist.Id, specialist.RouteScore, ContributionStatus.Ok)
                {
                    Answer = answer.Answer,
                    MeanLogProbability = answer.MeanLogProbability,
                    PromptTokens = answer.PromptTokens,
                    CompletionTokens = answer.CompletionTokens,
                    FinishReason = answer.FinishReason,
                    LatencyMs = ElapsedMs(started),
                };
            }
            response.Is(out Response<SpecialistFailed>? failed);
            return Failed(specialist, started, failed!.Message.Code, failed.Message.Reason);
        }
        catch (RequestTimeoutException)
        {
            return TimedOut(specialist, started, "no answer before the deadline");
        }
        catch (Exception error) when (error is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            return TimedOut(specialist, started, "the question could not be delivered before the deadline");
        }
        catch (RequestFaultException fault)
        {
            var reason = string.Join("; ", fault.Fault?.Exceptions.Select(exception => exception.Message) ?? []);
            return Failed(specialist, started, SpecialistFailureCodes.Error, reason.Length == 0 ? fault.Message : reason);
        }
        catch (Exception error) when (error is not OperationCanceledException)
        {
            // A bus that refuses the send (broker down, no connection) is this specialist's failure, not the query's.
            logger.LogWarning(error, "Asking {Specialist} for query {QueryId} failed on the bus", specialist.Id, request.QueryId);
            return Failed(specialist, started, SpecialistFailureCodes.Unavailable, $"the bus could not deliver the question: {error.Message}");
        }
    }

    private static Contribution TimedOut(ChosenSpecialist specialist, long started, string reason) =>
        new(specialist.Id, specialist.RouteScore, ContributionStatus.Timeout)
        {
            FailureCode = SpecialistFailureCodes.DeadlineExceeded,
            FailureReason = reason,
            LatencyMs = ElapsedMs(started),
        };

    private static Contribution Failed(ChosenSpecialist specialist, long started, string code, string reason) =>
        new(specialist.Id, specialist.RouteScore, ContributionStatus.Failed)
        {
            FailureCode = code,
            FailureReason = reason,
            LatencyMs = ElapsedMs(started),
        };

    private static double ElapsedMs(long started) => Stopwatch.GetElapsedTime(started).TotalMilliseconds;
}
