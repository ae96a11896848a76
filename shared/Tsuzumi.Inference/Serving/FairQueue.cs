namespace Tsuzumi.Inference.Serving;

/// <summary>
/// Waiting requests grouped by fairness key (the specialist), handed out round-robin over the keys: a specialist with
/// a hundred waiting requests gets one slot for every slot each other waiting specialist gets. Not thread-safe: the
/// engine guards it with its lock.
/// </summary>
internal sealed class FairQueue<T>
{
    private readonly Dictionary<string, LinkedList<T>> byKey = new(StringComparer.Ordinal);
    private readonly LinkedList<string> turns = new(); // keys with waiting items; the first one goes next

    public int Count { get; private set; }

    public void Enqueue(string key, T item)
    {
        if (!byKey.TryGetValue(key, out var waiting))
        {
            waiting = new LinkedList<T>();
            byKey[key] = waiting;
            turns.AddLast(key);
        }
        waiting.AddLast(item);
        Count++;
    }

    /// <summary>The oldest item of the key whose turn it is; that key then goes to the back of the line.</summary>
    public bool TryDequeue(out T item)
    {
        if (turns.First is not { } turn)
        {
            item = default!;
            return false;
        }
        var waiting = byKey[turn.Value];
        item = waiting.First!.Value;
        waiting.RemoveFirst();
        Count--;
        turns.RemoveFirst();
        if (waiting.Count > 0) turns.AddLast(turn);
        else byKey.Remove(turn.Value);
        return true;
    }

    /// <summary>Takes <paramref name="item"/> out of the line (a cancelled request); false when it is no longer waiting.</summary>
    public bool Remove(string key, T item)
    {
        if (!byKey.TryGetValue(key, out var waiting) || !waiting.Remove(item)) return false;
        Count--;
        if (waiting.Count == 0)
        {
            byKey.Remove(key);
            turns.Remove(key);
        }
        return true;
    }

    /// <summary>Every waiting item, in no particular order.</summary>
    public IEnumerable<T> Items => byKey.Values.SelectMany(items => items);

    /// <summary>Empties the queue, returning what waited (oldest first per key).</summary>
    public IReadOnlyList<T> Drain()
    {
        var drained = new List<T>(Count);
        while (TryDequeue(out var item)) drained.Add(item);
        return drained;
    }
}
