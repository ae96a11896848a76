using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Orleans.Concurrency;
using Tsuzumi.Catalog;
using Tsuzumi.Contracts;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Formats;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Serving;
using Tsuzumi.Silo.Hosting;
using Tsuzumi.Silo.Placement;

namespace Tsuzumi.Silo.Specialists;

/// <summary>
/// A specialist of the catalog. It holds no model: it renders the prompt and forwards to its silo's shared engine, so
/// it is reentrant and concurrent queries (to it and to its siblings) decode in the same batches. The definition is
/// read from the catalog on every query, so a reload takes effect at once; a specialist that left the catalog
/// refuses new queries, finishes the running ones and deactivates.
/// </summary>
[Reentrant]
[BaseModelPlacement]
public sealed partial class SpecialistGrain(ICatalogSource catalog, ModelHost host, SpecialistMetrics metrics, ILocalSiloDetails silo, ILogger<SpecialistGrain> logger)
    : Grain, ISpecialistGrain
{
    private static readonly TimeSpan RetirementCheck = TimeSpan.FromSeconds(1);

    private readonly LatencyWindow latencies = new();
    private long requests;
    private long errors;
    private long promptTokens;
    private long completionTokens;
    private int running;

    private string Id => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        this.RegisterGrainTimer(RetireIfRemovedAsync, new GrainTimerCreationOptions(RetirementCheck, RetirementCheck) { Interleave = true, KeepAlive = false });
        return base.OnActivateAsync(cancellationToken);
    }

    Task<SpecialistAnswer> ISpecialistGrain.AskAsync(SpecialistQuery query, GrainCancellationToken? cancellation) =>
        AnswerAsync(query, onToken: null, cancellation?.CancellationToken ?? CancellationToken.None);

    IAsyncEnumerable<SpecialistChunk> ISpecialistGrain.StreamAsync(SpecialistQuery query) => StreamAsync(query);

    Task<SpecialistStats> ISpecialistGrain.GetStatsAsync() => Task.FromResult(new SpecialistStats(
        Id, requests, errors, promptTokens, completionTokens, latencies.Percentile(0.50), latencies.Percentile(0.95), silo.SiloAddress.ToString()));

    async Task<EngineStats> ISpecialistGrain.GetEngineStatsAsync()
    {
        var specialist = catalog.Current.FindSpecialist(Id) ?? throw Unknown();
        var model = await host.FindAsync(specialist.BaseModel) ?? throw NotHosted(specialist);
        var statistics = model.Engine.Statistics;
        return new EngineStats(model.Id, silo.SiloAddress.ToString(), statistics.DecodeSteps, statistics.DecodedTokens, statistics.LargestBatch,
            statistics.MeanBatchSize, statistics.Running, statistics.Waiting, statistics.Completed, statistics.Failed, statistics.Rejected, statistics.Cancelled);
    }

    private async IAsyncEnumerable<SpecialistChunk> StreamAsync(SpecialistQuery query, [EnumeratorCancellation] CancellationToken cancellation = default)
    {
        // Counted as running until the reader is done, not just the generation: an enumeration spans many calls, and
        // deactivating between them (a removed specialist retires once idle) would abort the reader's stream.
        running++;
        // Tokens arrive on the engine thread; the channel hands them to this grain's turn. Its length is bounded by maxTokens.
        var pieces = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        var answer = AnswerAsync(query, token =>
        {
            if (token.Text.Length > 0) pieces.Writer.TryWrite(token.Text);
        }, stop.Token);
        _ = answer.ContinueWith(_ => pieces.Writer.TryComplete(), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        try
        {
            await foreach (var piece in pieces.Reader.ReadAllAsync(cancellation)) yield return new SpecialistChunk(piece, null);
            yield return new SpecialistChunk("", await answer);
        }
        finally
        {
            // A reader that stops early frees the engine slot instead of letting the generation run to maxTokens.
            if (!answer.IsCompleted)
            {
                await stop.CancelAsync();
                await answer.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
            running--;
            RetireIfIdleAndRemoved();
        }
    }

    private async Task<SpecialistAnswer> AnswerAsync(SpecialistQuery query, Action<GeneratedToken>? onToken, CancellationToken cancellation)
    {
        var clock = Stopwatch.StartNew();
        requests++;
        running++;
        metrics.Received(Id);
        try
        {
            var answer = await GenerateAsync(query, onToken, clock, cancellation);
            promptTokens += answer.PromptTokens;
            completionTokens += answer.CompletionTokens;
            latencies.Add(answer.LatencyMs);
            metrics.Answered(Id, answer.PromptTokens, answer.CompletionTokens, answer.LatencyMs);
            return answer;
        }
        catch (Exception error)
        {
            errors++;
            var failure = error as SpecialistException ?? Classify(error, query);
            metrics.Failed(Id, failure.Code);
            if (failure.Code == SpecialistFailureCodes.Error) LogUnexpected(logger, error, Id);
            else LogFailed(logger, Id, failure.Code, failure.Message);
            if (error is OperationCanceledException && failure.Code == SpecialistFailureCodes.Error) throw; // the caller gave up: nothing to report
            throw failure;
        }
        finally
        {
            running--;
            RetireIfIdleAndRemoved();
        }
    }

    private async Task<SpecialistAnswer> GenerateAsync(SpecialistQuery query, Action<GeneratedToken>? onToken, Stopwatch clock, CancellationToken cancellation)
    {
        ArgumentNullException.ThrowIfNull(query);
        var specialist = catalog.Current.FindSpecialist(Id);
        if (specialist is null || !specialist.IsVisibleTo(query.Tenant ?? "")) throw Unknown();
        var model = await host.FindAsync(specialist.BaseModel, cancellation);
        if (model is null)
        {
            // The catalog moved this specialist to a base model this silo does not host: the next activation is placed right.
            DeactivateOnIdle();
            throw NotHosted(specialist);
        }
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellation);
        if (query.Deadline is { } instant)
        {
            var left = instant - DateTimeOffset.UtcNow;
            if (left <= TimeSpan.Zero) throw new SpecialistException(SpecialistFailureCodes.DeadlineExceeded, $"the deadline {instant:O} passed before '{Id}' started");
            deadline.CancelAfter(left);
        }
        var generation = SpecialistPrompt.Build(specialist, query, model);
        var adapters = SpecialistAdapters.Ensure(model.Adapters, specialist, host.PublishedAdapters);
        var firstTokenMs = -1.0;
        var request = new EngineRequest(generation, adapters, Id)
        {
            Group = query is { QueryId: { } queryId, AsksOnSameBaseModel: > 1 } ? new PrefillGroup(queryId.ToString("N"), query.AsksOnSameBaseModel) : null,
        };
        var result = await model.Engine.GenerateAsync(request, token =>
        {
            if (firstTokenMs < 0) firstTokenMs = clock.Elapsed.TotalMilliseconds;
            onToken?.Invoke(token);
        }, deadline.Token);
        return new SpecialistAnswer(Id, result.Text, result.Tokens.Count == 0 ? 0 : result.MeanLogProbability, result.PromptTokenCount, result.Tokens.Count,
            FinishReasonName(result.FinishReason), Math.Max(firstTokenMs, 0), clock.Elapsed.TotalMilliseconds);
    }

    /// <summary>Maps what the engine and the adapter registry throw onto the failure codes the bus and the router understand.</summary>
    private SpecialistException Classify(Exception error, SpecialistQuery query)
    {
        for (var cause = error; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case SpecialistException known:
                    return known;
                case EngineBusyException busy:
                    return new SpecialistException(SpecialistFailureCodes.Busy, busy.Message);
                case ContextWindowExceededException tooLong:
                    return new SpecialistException(SpecialistFailureCodes.PromptTooLong, tooLong.Message);
                case UnknownAdapterException or ModelFormatException or IOException or UnauthorizedAccessException:
                    return new SpecialistException(SpecialistFailureCodes.Unavailable, $"an adapter of '{Id}' cannot be used: {cause.Message}");
                case OperationCanceledException when query.Deadline is { } instant && instant <= DateTimeOffset.UtcNow:
                    return new SpecialistException(SpecialistFailureCodes.DeadlineExceeded, $"the deadline {instant:O} passed before '{Id}' finished");
                case ArgumentException invalid:
                    return new SpecialistException(SpecialistFailureCodes.InvalidRequest, invalid.Message);
            }
        }
        return new SpecialistException(SpecialistFailureCodes.Error, $"'{Id}' failed: {error.GetType().Name}: {error.Message}");
    }

    private Task RetireIfRemovedAsync(CancellationToken cancellation)
    {
        RetireIfIdleAndRemoved();
        return Task.CompletedTask;
    }

    private void RetireIfIdleAndRemoved()
    {
        if (running > 0 || !IsRemoved()) return;
        LogRetired(logger, Id);
        DeactivateOnIdle();
    }

    private bool IsRemoved() => catalog.Current.FindSpecialist(Id) is not { } specialist || !host.Hosts(specialist.BaseModel);

    private SpecialistException Unknown() => new(SpecialistFailureCodes.UnknownSpecialist, $"there is no specialist '{Id}'");

    private static SpecialistException NotHosted(SpecialistDefinition specialist) =>
        new(SpecialistFailureCodes.Unavailable, $"this silo does not host base model '{specialist.BaseModel}' of '{specialist.Id}'");

    private static string FinishReasonName(FinishReason reason) => reason switch
    {
        FinishReason.EndOfSequence => "eos",
        FinishReason.StopString => "stop",
        _ => "length",
    };

    [LoggerMessage(Level = LogLevel.Information, Message = "Specialist {Id} answered {Code}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string id, string code, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Specialist {Id} failed unexpectedly")]
    private static partial void LogUnexpected(ILogger logger, Exception error, string id);

    [LoggerMessage(Level = LogLevel.Information, Message = "Specialist {Id} left the catalog (or this silo's base models): deactivating")]
    private static partial void LogRetired(ILogger logger, string id);
}
