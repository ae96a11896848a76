using System.Runtime.CompilerServices;
using Tsuzumi.Contracts;
using Tsuzumi.Router.Streaming;
using Tsuzumi.Router.Tests.FanOut;
using Tsuzumi.Silo;

namespace Tsuzumi.Router.Tests.Api;

/// <summary>Plays the grain's token stream from the same scripts as the bus consumer: the answer word by word, then the totals.</summary>
public sealed class ScriptedTokenSource(ScriptedSpecialists specialists) : ISpecialistTokenSource
{
    public async IAsyncEnumerable<SpecialistChunk> StreamAsync(
        string specialistId, SpecialistQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var script = specialists.ScriptFor(specialistId)
            ?? throw new SpecialistException(SpecialistFailureCodes.UnknownSpecialist, $"no specialist '{specialistId}'");
        if (script.Delay > TimeSpan.Zero) await Task.Delay(script.Delay, cancellationToken);
        if (script.FailureCode is { } code) throw new SpecialistException(code, $"{specialistId} was told to fail with {code}");
        var question = new AskSpecialist
        {
            QueryId = Guid.NewGuid(),
            SpecialistId = specialistId,
            Tenant = query.Tenant,
            Conversation = query.Conversation.Select(turn => new ChatTurn(turn.Role, turn.Content)).ToArray(),
            Deadline = query.Deadline ?? DateTimeOffset.MaxValue,
        };
        var answer = script.AnswerTo(question);
        var words = answer.Split(' ');
        for (var index = 0; index < words.Length; index++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new SpecialistChunk(index == 0 ? words[index] : " " + words[index], null);
        }
        var prompt = query.Conversation.Sum(turn => turn.Content.Length);
        yield return new SpecialistChunk("", new SpecialistAnswer(specialistId, answer, script.MeanLogProbability, prompt, words.Length, "eos", 1, 2));
    }
}
