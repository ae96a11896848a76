namespace Tsuzumi.Silo;

/// <summary>A question for one specialist. Overrides left null take the catalog's defaults.</summary>
[GenerateSerializer, Immutable, Alias("Tsuzumi.Silo.SpecialistQuery")]
public sealed record SpecialistQuery(
    [property: Id(0)] string Tenant,
    [property: Id(1)] IReadOnlyList<SpecialistTurn> Conversation)
{
    [Id(2)] public int? MaxTokens { get; init; }

    [Id(3)] public float? Temperature { get; init; }

    [Id(4)] public int? TopK { get; init; }

    /// <summary>After this instant the answer is useless; the grain gives up with deadline-exceeded.</summary>
    [Id(5)] public DateTimeOffset? Deadline { get; init; }

    /// <summary>The fan-out this query is part of, with <see cref="AsksOnSameBaseModel"/>: the asks the engine prefills together.</summary>
    [Id(6)] public Guid? QueryId { get; init; }

    /// <summary>Asks of <see cref="QueryId"/> (this one included) that go to specialists of the same base model.</summary>
    [Id(7)] public int AsksOnSameBaseModel { get; init; } = 1;
}

/// <summary>One conversation turn (system, user or assistant).</summary>
[GenerateSerializer, Immutable, Alias("Tsuzumi.Silo.SpecialistTurn")]
public sealed record SpecialistTurn([property: Id(0)] string Role, [property: Id(1)] string Content);
