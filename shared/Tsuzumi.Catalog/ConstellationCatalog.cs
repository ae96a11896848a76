namespace Tsuzumi.Catalog;

/// <summary>
/// The validated specialist catalog (<c>config/constellation.json</c>): the one place a base model or a specialist is
/// declared. Paths are absolute here; the file may use paths relative to its own folder.
/// </summary>
public sealed record ConstellationCatalog(
    IReadOnlyList<BaseModelDefinition> BaseModels,
    IReadOnlyList<SpecialistDefinition> Specialists,
    RoutingDefaults Routing,
    string Version)
{
    /// <summary>The tenant served when no API keys are configured (the embedded default).</summary>
    public const string PublicTenant = "public";

    public BaseModelDefinition? FindBaseModel(string id) => BaseModels.FirstOrDefault(model => model.Id == id);

    public SpecialistDefinition? FindSpecialist(string id) => Specialists.FirstOrDefault(specialist => specialist.Id == id);

    /// <summary>The specialists a tenant may see and use; everything else does not exist for it.</summary>
    public IReadOnlyList<SpecialistDefinition> VisibleTo(string tenant) =>
        Specialists.Where(specialist => specialist.IsVisibleTo(tenant)).ToArray();
}

/// <summary>A base model a silo may host: one engine per base model per silo.</summary>
public sealed record BaseModelDefinition(string Id, string Path)
{
    /// <summary>"bf16", "f32" or null for the fastest correct type of the checkpoint.</summary>
    [System.Text.Json.Serialization.JsonPropertyName("dtype")] // camelCase would make it "dType"; the catalog says "dtype"
    public string? DType { get; init; }

    /// <summary>Chat template name (plain, llama2, llama3, chatml) or null to detect it from the checkpoint.</summary>
    public string? ChatTemplate { get; init; }
}

/// <summary>One LoRA adapter of a specialist (a PEFT folder or a llama.cpp <c>.gguf</c> LoRA file) and its mixing weight.</summary>
public sealed record AdapterDefinition(string Path, float Weight);

/// <summary>A specialist: a base model, zero or more weighted adapters, a system prompt and routing examples.</summary>
public sealed record SpecialistDefinition(
    string Id,
    string Description,
    IReadOnlyList<string> Examples,
    string BaseModel,
    IReadOnlyList<AdapterDefinition> Adapters,
    string SystemPrompt,
    IReadOnlyList<string> Tenants)
{
    public GenerationDefaults Generation { get; init; } = new();

    /// <summary>
    /// Everyday words and phrases of the domain (symptoms, products, forms…) in any language, for the router's lexical
    /// side only: unlike <see cref="Examples"/> they are not embedded, so hundreds cost nothing per query. Optional.
    /// </summary>
    public IReadOnlyList<string> Vocabulary { get; init; } = [];

    /// <summary>
    /// More questions the specialist answers, for the router's embedding side only (the mirror of <see cref="Vocabulary"/>):
    /// they give the embedding near neighbours across many topics without adding their everyday question words (how long,
    /// what's the difference, 違う, コツ) to the lexical evidence, where they would outweigh a domain's keywords. Optional.
    /// </summary>
    public IReadOnlyList<string> EmbeddingExamples { get; init; } = [];

    /// <summary>
    /// Questions users asked that were labelled as this specialist's, from the catalog's labelled-queries file
    /// (<see cref="RoutingDefaults.LabelledQueries"/>), never from the specialist's own entry. The router embeds them like
    /// <see cref="EmbeddingExamples"/>: the more real questions a specialist has, the nearer a new one finds a neighbour.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyList<string> LabelledQueries { get; init; } = [];

    /// <summary>Route score this specialist needs to be chosen; null uses the catalog's default.</summary>
    public double? RouteThreshold { get; init; }

    /// <summary>True for the specialist that answers when no other fits.</summary>
    public bool IsFallback { get; init; }

    public bool IsVisibleTo(string tenant) => Tenants.Contains("*") || Tenants.Contains(tenant);
}

/// <summary>Per-specialist generation defaults; a request may override them within the limits.</summary>
public sealed record GenerationDefaults
{
    public int MaxTokens { get; init; } = 128;

    public float Temperature { get; init; }

    public int TopK { get; init; }

    public float TopP { get; init; } = 1f;

    public float RepetitionPenalty { get; init; } = 1f;

    public IReadOnlyList<string> Stop { get; init; } = [];
}

/// <summary>Catalog-wide routing settings.</summary>
public sealed record RoutingDefaults
{
    /// <summary>At most this many specialists answer one query.</summary>
    public int TopK { get; init; } = 2;

    /// <summary>Route score a specialist needs unless it sets its own.</summary>
    public double Threshold { get; init; } = 0.35;

    /// <summary>The specialist that answers when none fits (usually <c>general</c>).</summary>
    public string Fallback { get; init; } = "general";

    /// <summary>
    /// JSON-lines file of labelled queries (<c>{"query": …, "specialist": …}</c>), relative to the catalog; null for none.
    /// Its content is part of the catalog's version, so editing it re-indexes the router as editing the catalog does.
    /// </summary>
    public string? LabelledQueries { get; init; }
}
