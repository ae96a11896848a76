using System.Diagnostics;
using MassTransit;
using Microsoft.Extensions.Logging;
using Tsuzumi.Contracts;

namespace Tsuzumi.Silo.Messaging;

/// <summary>
/// The bus edge of the silo: asks the specialist grain and responds with <see cref="SpecialistAnswered"/> or
/// <see cref="SpecialistFailed"/>. Expected failures are answers, never exceptions, so nothing is lost to an error
/// queue; only transient ones (busy, silo unreachable) are thrown for the retry policy while the deadline allows.
/// </summary>
public sealed partial class AskSpecialistConsumer(IGrainFactory grains, ILogger<AskSpecialistConsumer> logger) : IConsumer<AskSpecialist>
{
    public async Task Consume(ConsumeContext<AskSpecialist> context)
    {
        var message = context.Message;
        var clock = Stopwatch.StartNew();
        if (message.Deadline <= DateTimeOffset.UtcNow)
        {
            await RespondFailedAsync(context, SpecialistFailureCodes.DeadlineExceeded, $"the deadline {message.Deadline:O} passed before the silo received the query");
            return;
        }
        try
        {
            var query = new SpecialistQuery(message.Tenant, message.Conversation.Select(turn => new SpecialistTurn(turn.Role, turn.Content)).ToArray())
            {
                MaxTokens = message.MaxTokens,
                Temperature = message.Temperature,
                TopK = message.TopK,
                Deadline = message.Deadline,
                QueryId = message.QueryId,
                AsksOnSameBaseModel = message.AsksOnSameBaseModel,
            };
            var answer = await grains.GetGrain<ISpecialistGrain>(message.SpecialistId).AskAsync(query);
            await context.RespondAsync(new SpecialistAnswered
            {
                QueryId = message.QueryId,
                SpecialistId = message.SpecialistId,
                Answer = answer.Text,
                MeanLogProbability = answer.MeanLogProbability,
                PromptTokens = answer.PromptTokens,
                CompletionTokens = answer.CompletionTokens,
                FinishReason = answer.FinishReason,
                LatencyMs = clock.Elapsed.TotalMilliseconds,
                TimeToFirstTokenMs = answer.TimeToFirstTokenMs,
            });
        }
        catch (SpecialistException failure) when (failure.Code == SpecialistFailureCodes.Busy && MayRetry(context))
        {
            throw new TransientSpecialistException(failure.Code, failure.Message, failure);
        }
        catch (Exception error) when (IsTransientOrleansFailure(error) && MayRetry(context))
        {
            throw new TransientSpecialistException(SpecialistFailureCodes.Unavailable, error.Message, error);
        }
        catch (SpecialistException failure)
        {
            await RespondFailedAsync(context, failure.Code, failure.Message);
        }
        catch (Exception error) when (IsTransientOrleansFailure(error))
        {
            await RespondFailedAsync(context, SpecialistFailureCodes.Unavailable, $"the specialist's silo could not be reached: {error.Message}");
        }
        catch (Exception error) when (error is not OperationCanceledException || !context.CancellationToken.IsCancellationRequested)
        {
            LogUnexpected(logger, error, message.SpecialistId, message.QueryId);
            await RespondFailedAsync(context, SpecialistFailureCodes.Error, $"{error.GetType().Name}: {error.Message}");
        }
    }

    /// <summary>Another attempt only when one is left and the deadline leaves room for it after the retry interval.</summary>
    private static bool MayRetry(ConsumeContext<AskSpecialist> context) =>
        context.GetRetryAttempt() < AskSpecialistConsumerDefinition.RetryLimit
        && context.Message.Deadline - DateTimeOffset.UtcNow > AskSpecialistConsumerDefinition.RetryInterval * 2;

    private static bool IsTransientOrleansFailure(Exception error) =>
        error is SiloUnavailableException or OrleansMessageRejectionException or TimeoutException;

    private static Task RespondFailedAsync(ConsumeContext<AskSpecialist> context, string code, string reason) =>
        context.RespondAsync(new SpecialistFailed
        {
            QueryId = context.Message.QueryId,
            SpecialistId = context.Message.SpecialistId,
            Code = code,
            Reason = reason,
        });

    [LoggerMessage(Level = LogLevel.Error, Message = "AskSpecialist for {SpecialistId} (query {QueryId}) failed unexpectedly; answered as an error")]
    private static partial void LogUnexpected(ILogger logger, Exception error, string specialistId, Guid queryId);
}
