namespace Tsuzumi.Nano.Facts;

/// <summary>All fact tables, looked up by domain or id.</summary>
public static class FactTables
{
    public static IReadOnlyList<Fact> All { get; } = [.. GeneralFacts.All, .. FinanceFacts.All, .. MedicalFacts.All, .. AcmeFacts.All];

    private static readonly Dictionary<string, Fact> ById = All.ToDictionary(fact => fact.Id, StringComparer.Ordinal);

    public static IReadOnlyList<Fact> ForDomain(string domain) => domain switch
    {
        NanoDomain.General => GeneralFacts.All,
        NanoDomain.Finance => FinanceFacts.All,
        NanoDomain.Medical => MedicalFacts.All,
        NanoDomain.OrgAcme => AcmeFacts.All,
        _ => throw new ArgumentException($"unknown domain '{domain}' (known: {string.Join(", ", NanoDomain.All)})", nameof(domain)),
    };

    /// <exception cref="KeyNotFoundException">No fact has this id.</exception>
    public static Fact Get(string id) =>
        ById.TryGetValue(id, out var fact) ? fact : throw new KeyNotFoundException($"no fact with id '{id}'");

    /// <summary>
    /// Problems that would make the tables inconsistent: duplicate ids, ids outside their domain, answer templates without
    /// exactly one slot, distractors equal to the value or to each other, a held-out question equal to the training one.
    /// </summary>
    public static IReadOnlyList<string> FindInconsistencies(IEnumerable<Fact> facts)
    {
        var problems = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var fact in facts)
        {
            if (!seen.Add(fact.Id)) problems.Add($"{fact.Id}: duplicate id");
            if (!fact.Id.StartsWith(fact.Domain + ".", StringComparison.Ordinal)) problems.Add($"{fact.Id}: id does not start with its domain '{fact.Domain}'");
            foreach (var language in Enum.GetValues<Language>())
            {
                var rendering = fact.In(language);
                var where = $"{fact.Id} ({language})";
                var slots = rendering.AnswerTemplate.Split(FactRendering.Slot).Length - 1;
                if (slots != 1) problems.Add($"{where}: the answer template has {slots} slots, expected 1");
                if (string.IsNullOrWhiteSpace(rendering.Value)) problems.Add($"{where}: empty value");
                if (rendering.Distractors.Count < 3) problems.Add($"{where}: {rendering.Distractors.Count} distractors, expected at least 3");
                if (rendering.Distractors.Contains(rendering.Value, StringComparer.Ordinal)) problems.Add($"{where}: a distractor equals the value");
                if (rendering.Distractors.Distinct(StringComparer.Ordinal).Count() != rendering.Distractors.Count) problems.Add($"{where}: repeated distractors");
                if (rendering.Question == rendering.HeldOutQuestion) problems.Add($"{where}: the held-out question repeats the training question");
            }
        }
        return problems;
    }
}
