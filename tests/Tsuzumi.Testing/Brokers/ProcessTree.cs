namespace Tsuzumi.Testing.Brokers;

/// <summary>
/// The descendants of a process, read from Linux's /proc, each with its start time so a later kill can check
/// it is still the same process (a pid may be reused by an unrelated process once the original ends).
/// Hand-written because .NET only offers killing a tree, not listing it, and a parent that exits gracefully
/// can leave grandchildren behind that Process.Kill(entireProcessTree) no longer finds.
/// </summary>
public static class ProcessTree
{
    /// <summary>A process as seen at one moment: pid plus kernel start time (clock ticks since boot).</summary>
    public readonly record struct ProcessIdentity(int Id, ulong StartTime);

    /// <summary>All descendants of <paramref name="rootId"/> now (children, grandchildren, …); empty off Linux.</summary>
    public static IReadOnlyList<ProcessIdentity> Descendants(int rootId)
    {
        var parents = new Dictionary<int, List<ProcessIdentity>>();
        foreach (var directory in SafeEnumerateProc())
        {
            if (!int.TryParse(Path.GetFileName(directory), out var id)) continue;
            if (ReadStat(id) is not { } stat) continue;
            if (!parents.TryGetValue(stat.ParentId, out var children)) parents[stat.ParentId] = children = [];
            children.Add(new ProcessIdentity(id, stat.StartTime));
        }
        var result = new List<ProcessIdentity>();
        var pending = new Queue<int>([rootId]);
        while (pending.Count > 0)
        {
            if (!parents.TryGetValue(pending.Dequeue(), out var children)) continue;
            foreach (var child in children)
            {
                result.Add(child);
                pending.Enqueue(child.Id);
            }
        }
        return result;
    }

    /// <summary>Whether the process is still the one recorded (alive, same start time, not a zombie).</summary>
    public static bool IsAlive(ProcessIdentity process) =>
        ReadStat(process.Id) is { } stat && stat.StartTime == process.StartTime && stat.State != 'Z';

    private static IEnumerable<string> SafeEnumerateProc()
    {
        try { return Directory.GetDirectories("/proc"); }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException) { return []; }
    }

    private static (int ParentId, ulong StartTime, char State)? ReadStat(int id)
    {
        string text;
        try { text = File.ReadAllText($"/proc/{id}/stat"); }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException) { return null; }
        // "pid (comm) state ppid … starttime …": comm may hold spaces and ')', so fields are counted after the last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 20 || !int.TryParse(fields[1], out var parentId) || !ulong.TryParse(fields[19], out var startTime)) return null;
        return (parentId, startTime, fields[0][0]);
    }
}
