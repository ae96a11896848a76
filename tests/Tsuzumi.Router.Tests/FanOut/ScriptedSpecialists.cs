using System.Collections.Concurrent;
using MassTransit;
using Tsuzumi.Contracts;

namespace Tsuzumi.Router.Tests.FanOut;

/// <summary>How a played specialist behaves: what it answers (or how it fails) and how long it takes.</summary>
public sealed record SpecialistScript
{
    /// <summary>The answer; null answers "{id} on: {question}".</summary>
    public string? Answer { get; init; }

    /// <summary>Writes the answer from the question (e.g. the synthesize aggregator reading its candidates).</summary>
    public Func<AskSpecialist, string>? Compose { get; init; }

    public double MeanLogProbability { get; init; } = -0.5;

    public TimeSpan Delay { get; init; }

    /// <summary>Answer with <see cref="SpecialistFailed"/> carrying this code.</summary>
    public string? FailureCode { get; init; }

    /// <summary>Throw from the consumer instead of answering (a crash: MassTransit sends a fault).</summary>
    public bool Crash { get; init; }

    public static SpecialistScript Answers(string answer, double meanLogProbability = -0.5) =>
        new() { Answer = answer, MeanLogProbability = meanLogProbability };

    public static SpecialistScript Late(TimeSpan delay) => new() { Delay = delay };

    public static SpecialistScript Fails(string code) => new() { FailureCode = code };

    public string AnswerTo(AskSpecialist question) =>
        Compose?.Invoke(question) ?? Answer ?? $"{question.SpecialistId} on: {question.Conversation[^1].Content}";
}

/// <summary>
/// Plays the silo's side of the bus for the router's tests: each specialist follows its script; a specialist without
/// one is unknown. Records every question it received.
/// </summary>
public sealed class ScriptedSpecialists
{
    private readonly ConcurrentDictionary<string, SpecialistScript> scripts = new();

    public ConcurrentQueue<AskSpecialist> Received { get; } = new();

    public ScriptedSpecialists Play(string specialistId, SpecialistScript script)
    {
        scripts[specialistId] = script;
        return this;
    }

    public SpecialistScript? ScriptFor(string specialistId) => scripts.GetValueOrDefault(specialistId);

    /// <summary>Every catalog specialist of <see cref="Api.TestCatalog"/> answering promptly.</summary>
    public static ScriptedSpecialists AllAnswering() => new ScriptedSpecialists()
        .Play("finance", new SpecialistScript { MeanLogProbability = -0.4 })
        .Play("medical", new SpecialistScript { MeanLogProbability = -0.6 })
        .Play("general", new SpecialistScript { MeanLogProbability = -0.9 })
        .Play("org-acme", new SpecialistScript { MeanLogProbability = -0.3 });
}

public sealed class ScriptedSpecialistConsumer(ScriptedSpecialists specialists) : IConsumer<AskSpecialist>
{
    private static readonly TimeSpan GraceAfterDeadline = TimeSpan.FromSeconds(1);

    public async Task Consume(ConsumeContext<AskSpecialist> context)
    {
        var question = context.Message;
        specialists.Received.Enqueue(question);
        if (specialists.ScriptFor(question.SpecialistId) is not { } script)
        {
            await context.RespondAsync(new SpecialistFailed
            {
                QueryId = question.QueryId,
                SpecialistId = question.SpecialistId,
                Code = SpecialistFailureCodes.UnknownSpecialist,
                Reason = $"no specialist '{question.SpecialistId}'",
            });
            return;
        }
        if (script.Delay > TimeSpan.Zero)
        {
            // Like the silo, drop the work soon after the deadline (nobody waits for it), so a late specialist never
            // keeps the bus busy long after its test.
            var giveUp = question.Deadline - DateTimeOffset.UtcNow + GraceAfterDeadline;
            if (script.Delay > giveUp)
            {
                if (giveUp > TimeSpan.Zero) await Task.Delay(giveUp, context.CancellationToken);
                return;
            }
            await Task.Delay(script.Delay, context.CancellationToken);
        }
        if (script.Crash) throw new InvalidOperationException($"{question.SpecialistId} crashed");
        if (script.FailureCode is { } code)
        {
            await context.RespondAsync(new SpecialistFailed
            {
                QueryId = question.QueryId,
                SpecialistId = question.SpecialistId,
                Code = code,
                Reason = $"{question.SpecialistId} was told to fail with {code}",
            });
            return;
        }
        var answer = script.AnswerTo(question);
        await context.RespondAsync(new SpecialistAnswered
        {
            QueryId = question.QueryId,
            SpecialistId = question.SpecialistId,
            Answer = answer,
            MeanLogProbability = script.MeanLogProbability,
            PromptTokens = question.Conversation.Sum(turn => turn.Content.Length),
            CompletionTokens = answer.Length,
            FinishReason = "eos",
            LatencyMs = script.Delay.TotalMilliseconds,
        });
    }
}

/// <summary>Late specialists must not hold up the others: many questions in flight at once, no retries (a fan-out has a deadline).</summary>
public sealed class ScriptedSpecialistConsumerDefinition : ConsumerDefinition<ScriptedSpecialistConsumer>
{
    public ScriptedSpecialistConsumerDefinition() => ConcurrentMessageLimit = 64;
}
