using Xunit;
using System.Diagnostics;
using MassTransit.Testing;
using Tsuzumi.Contracts;
using Tsuzumi.Router.FanOut;

namespace Tsuzumi.Router.Tests.FanOut;

public sealed class SpecialistFanOutHarnessTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan MuchLater = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Every_specialist_answers_in_time_and_each_answer_is_attributed()
    {
        await using var harness = await FanOutHarness.StartAsync(ScriptedSpecialists.AllAnswering());
        var question = FanOutHarness.Question("what is a dividend", TimeSpan.FromSeconds(10), "finance", "medical", "general");

        var contributions = await harness.FanOut.AskAllAsync(question, TestContext.Current.CancellationToken);

        Assert.Equal(["finance", "medical", "general"], contributions.Select(c => c.Specialist));
        Assert.All(contributions, c => Assert.Equal(ContributionStatus.Ok, c.Status));
        Assert.All(contributions, c => Assert.Equal($"{c.Specialist} on: what is a dividend", c.Answer));
        Assert.Equal(Math.Exp(-0.4), contributions[0].Confidence!.Value, 6);
        Assert.Equal(3, harness.Bus.Consumed.Select<AskSpecialist>(TestContext.Current.CancellationToken).Count());
        Assert.Equal(3, harness.Bus.Sent.Select<SpecialistAnswered>(TestContext.Current.CancellationToken).Count());
        var sent = harness.Bus.Consumed.Select<AskSpecialist>(TestContext.Current.CancellationToken).Select(m => m.Context.Message).ToArray();
        Assert.All(sent, message => Assert.Equal(question.QueryId, message.QueryId));
        Assert.All(sent, message => Assert.Equal(question.Deadline, message.Deadline));
        Assert.All(sent, message => Assert.Equal("public", message.Tenant));
    }

    [Fact]
    public async Task Each_ask_says_how_many_asks_of_its_query_go_to_its_base_model()
    {
        await using var harness = await FanOutHarness.StartAsync(ScriptedSpecialists.AllAnswering());
        var question = FanOutHarness.Question("what is a dividend", TimeSpan.FromSeconds(10), "finance", "medical", "general");
        question = question with
        {
            Specialists = [
                new ChosenSpecialist("finance", null) { BaseModel = "nano" },
                new ChosenSpecialist("medical", null) { BaseModel = "nano" },
                new ChosenSpecialist("general", null) { BaseModel = "llama-7b" },
            ],
        };

        await harness.FanOut.AskAllAsync(question, TestContext.Current.CancellationToken);

        var sent = harness.Bus.Consumed.Select<AskSpecialist>(TestContext.Current.CancellationToken)
            .ToDictionary(message => message.Context.Message.SpecialistId, message => message.Context.Message.AsksOnSameBaseModel);
        // The silo's engine for nano holds the first of its two until the second comes; the 7B engine waits for none.
        Assert.Equal(2, sent["finance"]);
        Assert.Equal(2, sent["medical"]);
        Assert.Equal(1, sent["general"]);
    }

    [Fact]
    public async Task A_late_specialist_is_reported_as_timeout_and_does_not_hold_up_the_others()
    {
        var specialists = ScriptedSpecialists.AllAnswering().Play("medical", SpecialistScript.Late(MuchLater));
        await using var harness = await FanOutHarness.StartAsync(specialists);
        var started = Stopwatch.GetTimestamp();

        var contributions = await harness.FanOut.AskAllAsync(
            FanOutHarness.Question("fever", Deadline, "finance", "medical", "general"), TestContext.Current.CancellationToken);

        var waited = Stopwatch.GetElapsedTime(started);
        Assert.Equal([ContributionStatus.Ok, ContributionStatus.Timeout, ContributionStatus.Ok], contributions.Select(c => c.Status));
        Assert.Equal(SpecialistFailureCodes.DeadlineExceeded, contributions[1].FailureCode);
        Assert.Null(contributions[1].Answer);
        // The query ends at its deadline, not when the late answer would have come.
        Assert.True(waited < MuchLater / 2, $"the fan-out waited {waited.TotalSeconds:0.0} s for a {Deadline.TotalSeconds} s deadline");
        Assert.True(waited >= Deadline - TimeSpan.FromMilliseconds(100), $"the fan-out gave up early, after {waited.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task A_failed_specialist_is_reported_with_its_code_next_to_the_answers()
    {
        var specialists = ScriptedSpecialists.AllAnswering().Play("finance", SpecialistScript.Fails(SpecialistFailureCodes.Busy));
        await using var harness = await FanOutHarness.StartAsync(specialists);

        var contributions = await harness.FanOut.AskAllAsync(
            FanOutHarness.Question("dividend", Deadline, "finance", "medical"), TestContext.Current.CancellationToken);

        Assert.Equal(ContributionStatus.Failed, contributions[0].Status);
        Assert.Equal(SpecialistFailureCodes.Busy, contributions[0].FailureCode);
        Assert.Contains("busy", contributions[0].FailureReason);
        Assert.Equal(ContributionStatus.Ok, contributions[1].Status);
        Assert.True(await harness.Bus.Sent.Any<SpecialistFailed>(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task When_every_specialist_fails_each_failure_is_reported_and_nothing_is_invented()
    {
        var specialists = new ScriptedSpecialists()
            .Play("finance", SpecialistScript.Fails(SpecialistFailureCodes.Unavailable))
            .Play("medical", new SpecialistScript { Crash = true })
            .Play("general", SpecialistScript.Late(MuchLater));
        await using var harness = await FanOutHarness.StartAsync(specialists);

        var contributions = await harness.FanOut.AskAllAsync(
            FanOutHarness.Question("anything", Deadline, "finance", "medical", "general", "no-such-specialist"), TestContext.Current.CancellationToken);

        Assert.DoesNotContain(contributions, c => c.IsAnswer);
        Assert.Equal(
            [SpecialistFailureCodes.Unavailable, SpecialistFailureCodes.Error, SpecialistFailureCodes.DeadlineExceeded, SpecialistFailureCodes.UnknownSpecialist],
            contributions.Select(c => c.FailureCode));
        Assert.Equal(ContributionStatus.Timeout, contributions[2].Status);
        Assert.Contains("crashed", contributions[1].FailureReason);
    }

    [Fact]
    public async Task A_caller_that_goes_away_cancels_the_wait()
    {
        var specialists = new ScriptedSpecialists().Play("finance", SpecialistScript.Late(MuchLater));
        await using var harness = await FanOutHarness.StartAsync(specialists);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        caller.CancelAfter(TimeSpan.FromMilliseconds(300));
        var started = Stopwatch.GetTimestamp();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            harness.FanOut.AskAllAsync(FanOutHarness.Question("dividend", Deadline, "finance"), caller.Token));

        Assert.True(Stopwatch.GetElapsedTime(started) < Deadline, "the fan-out kept waiting after its caller left");
    }

    [Fact]
    public async Task A_deadline_already_past_asks_nobody()
    {
        var specialists = ScriptedSpecialists.AllAnswering();
        await using var harness = await FanOutHarness.StartAsync(specialists);

        var contributions = await harness.FanOut.AskAllAsync(
            FanOutHarness.Question("dividend", TimeSpan.FromSeconds(-1), "finance"), TestContext.Current.CancellationToken);

        Assert.Equal(ContributionStatus.Timeout, Assert.Single(contributions).Status);
        Assert.Empty(specialists.Received);
    }
}
