using Tsuzumi.Testing;

namespace Tsuzumi.Catalog.Tests;

public sealed class CatalogLoaderTests : IDisposable
{
    private readonly CatalogFolder folder = new();

    public void Dispose() => folder.Dispose();

    [Fact]
    public void A_valid_catalog_resolves_paths_against_its_own_folder()
    {
        var path = folder.Write(CatalogFolder.Catalog(
            CatalogFolder.Specialist("general"),
            CatalogFolder.Specialist("finance", adapters: """[{"path": "adapters/finance", "weight": 0.7}]""",
                extra: """, "generation": {"maxTokens": 32, "stop": ["\nQ:"]}, "routeThreshold": 0.5, "vocabulary": ["dividend", "配当"], "embeddingExamples": ["How do I read a payslip?"]""")));

        var result = CatalogLoader.Load(path);

        Assert.Empty(result.Problems);
        var finance = result.Catalog.FindSpecialist("finance")!;
        Assert.Equal(Path.Combine(folder.Root, "adapters", "finance"), finance.Adapters.Single().Path);
        Assert.Equal(0.7f, finance.Adapters.Single().Weight);
        Assert.Equal(32, finance.Generation.MaxTokens);
        Assert.Equal(["\nQ:"], finance.Generation.Stop);
        Assert.Equal(0.5, finance.RouteThreshold);
        Assert.Equal(["dividend", "配当"], finance.Vocabulary);
        Assert.Empty(result.Catalog.FindSpecialist("general")!.Vocabulary);
        Assert.Equal(["How do I read a payslip?"], finance.EmbeddingExamples);
        Assert.Empty(result.Catalog.FindSpecialist("general")!.EmbeddingExamples);
        Assert.Equal(128, result.Catalog.FindSpecialist("general")!.Generation.MaxTokens);
        Assert.Equal(Path.Combine(folder.Root, "models", "base"), result.Catalog.FindBaseModel("base")!.Path);
    }

    [Fact]
    public void An_adapter_may_be_a_llama_cpp_gguf_lora_file()
    {
        var path = folder.Write(CatalogFolder.Catalog(
            CatalogFolder.Specialist("general"),
            CatalogFolder.Specialist("legal", adapters: """[{"path": "adapters/legal.gguf", "weight": 1}]""")));

        var result = CatalogLoader.Load(path);

        Assert.Empty(result.Problems);
        Assert.Equal(Path.Combine(folder.Root, "adapters", "legal.gguf"), result.Catalog.FindSpecialist("legal")!.Adapters.Single().Path);
    }

    [Theory]
    [InlineData("""{"id": "Bad Id!", "description": "d", "examples": ["e"], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "id 'Bad Id!'")]
    [InlineData("""{"id": "x"}""", "description")]
    [InlineData("""{"id": "x", "description": "d", "examples": [], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "examples")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "baseModel": "nope", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "baseModel 'nope'")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "baseModel": "base", "adapters": [{"path": "adapters/missing", "weight": 1}], "systemPrompt": "", "tenants": ["*"]}""", "no adapter_config.json")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "baseModel": "base", "adapters": [{"path": "adapters/missing.gguf", "weight": 1}], "systemPrompt": "", "tenants": ["*"]}""", "missing.gguf does not exist")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": []}""", "tenants")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"], "generation": {"maxTokens": -3}}""", "maxTokens")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"], "colour": "red"}""", "colour")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "baseModel": "base", "adapters": [], "tenants": ["*"]}""", "systemPrompt")]
    [InlineData("""{"id": "x", "description": 7, "examples": ["e"], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "description")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "vocabulary": ["rash", " "], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "vocabulary must not contain empty terms")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "vocabulary": ["Rash", "itch", "rash "], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "'rash' more than once")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "vocabulary": "rash", "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "vocabulary")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["e"], "embeddingExamples": ["f", ""], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "embeddingExamples must not contain empty questions")]
    [InlineData("""{"id": "x", "description": "d", "examples": ["Why is the sky blue?"], "embeddingExamples": ["why is the sky blue? "], "baseModel": "base", "adapters": [], "systemPrompt": "", "tenants": ["*"]}""", "more than once in examples and embeddingExamples")]
    public void An_invalid_specialist_is_left_out_with_its_reason_and_the_rest_serve_on(string entry, string reasonMentions)
    {
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general"), entry));

        var result = CatalogLoader.Load(path);

        Assert.Equal(["general"], result.Catalog.Specialists.Select(specialist => specialist.Id));
        var problem = Assert.Single(result.Problems);
        Assert.StartsWith("specialists[1]", problem.Entry);
        Assert.Contains(reasonMentions, problem.Reason, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_duplicate_id_keeps_the_first_entry()
    {
        var path = folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general"), CatalogFolder.Specialist("general")));

        var result = CatalogLoader.Load(path);

        Assert.Single(result.Catalog.Specialists);
        Assert.Contains("duplicates", Assert.Single(result.Problems).Reason);
    }

    [Fact]
    public void A_missing_fallback_is_reported()
    {
        var result = CatalogLoader.Load(folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("finance"))));

        Assert.Contains(result.Problems, problem => problem.Entry == "routing" && problem.Reason.Contains("fallback"));
    }

    [Theory]
    [InlineData("not json at all", "not valid JSON")]
    [InlineData("[1, 2]", "must be a JSON object")]
    [InlineData("""{"baseModels": [{"id": "base", "path": "models/none"}], "specialists": []}""", "no usable base model")]
    public void A_file_that_is_not_a_catalog_is_refused_as_a_whole(string json, string reason)
    {
        var error = Assert.Throws<CatalogException>(() => CatalogLoader.Load(folder.Write(json)));

        Assert.Contains(reason, error.Message);
        Assert.Equal(folder.CatalogPath, error.CatalogPath);
    }

    [Fact]
    public void A_missing_file_is_refused_with_its_path()
    {
        var error = Assert.Throws<CatalogException>(() => CatalogLoader.Load(Path.Combine(folder.Root, "absent.json")));

        Assert.Contains("absent.json", error.Message);
    }

    [Fact]
    public void Tenants_see_only_their_specialists()
    {
        var path = folder.Write(CatalogFolder.Catalog(
            CatalogFolder.Specialist("general"),
            CatalogFolder.Specialist("org-acme", adapters: """[{"path": "adapters/acme", "weight": 1}]""", tenants: """["acme"]""")));

        var catalog = CatalogLoader.Load(path).Catalog;

        Assert.Equal(["general"], catalog.VisibleTo(ConstellationCatalog.PublicTenant).Select(specialist => specialist.Id));
        Assert.Equal(["general", "org-acme"], catalog.VisibleTo("acme").Select(specialist => specialist.Id));
    }

    [Fact]
    public void The_version_changes_with_the_content()
    {
        var first = CatalogLoader.Load(folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general")))).Catalog.Version;
        var same = CatalogLoader.Load(folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general")))).Catalog.Version;
        var changed = CatalogLoader.Load(folder.Write(CatalogFolder.Catalog(CatalogFolder.Specialist("general", extra: """, "routeThreshold": 0.9""")))).Catalog.Version;

        Assert.Equal(first, same);
        Assert.NotEqual(first, changed);
    }

    [Fact]
    public void The_committed_catalog_declares_the_four_nano_specialists()
    {
        var result = CatalogLoader.Load(Path.Combine(RepositoryPaths.Root, "config", "constellation.json"));

        Assert.Empty(result.Problems);
        Assert.Equal(["finance", "medical", "org-acme", "general"], result.Catalog.Specialists.Select(specialist => specialist.Id));
        Assert.Equal(["acme"], result.Catalog.FindSpecialist("org-acme")!.Tenants);
        Assert.All(result.Catalog.Specialists, specialist =>
        {
            Assert.Contains(specialist.Examples, example => example.Any(character => character > 0x3000));
            Assert.Contains(specialist.Examples, example => example.All(character => character < 0x80));
            // Everyday words in both languages for the router's lexical side (docs/routing.md, round 5).
            Assert.True(specialist.Vocabulary.Count >= 250, $"{specialist.Id}: {specialist.Vocabulary.Count} vocabulary terms");
            Assert.True(specialist.Vocabulary.Count(term => term.Any(character => character > 0x3000)) >= 100, $"{specialist.Id}: Japanese terms");
            Assert.True(specialist.Vocabulary.Count(term => term.All(character => character < 0x80)) >= 100, $"{specialist.Id}: English terms");
        });
    }
}
