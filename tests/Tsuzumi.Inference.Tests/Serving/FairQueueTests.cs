using Tsuzumi.Inference.Serving;

namespace Tsuzumi.Inference.Tests.Serving;

public sealed class FairQueueTests
{
    [Fact]
    public void Keys_take_turns_and_each_key_keeps_its_own_order()
    {
        var queue = new FairQueue<string>();
        foreach (var item in new[] { "a1", "a2", "a3", "b1", "c1", "b2" }) queue.Enqueue(item[..1], item);

        Assert.Equal(["a1", "b1", "c1", "a2", "b2", "a3"], queue.Drain());
        Assert.Equal(0, queue.Count);
    }

    [Fact]
    public void A_removed_item_no_longer_waits_and_an_emptied_key_loses_its_turn()
    {
        var queue = new FairQueue<string>();
        foreach (var item in new[] { "a1", "b1", "a2" }) queue.Enqueue(item[..1], item);

        Assert.True(queue.Remove("b", "b1"));
        Assert.False(queue.Remove("b", "b1"));
        Assert.Equal(2, queue.Count);
        Assert.Equal(["a1", "a2"], queue.Drain());
        Assert.False(queue.TryDequeue(out _));
    }
}
