namespace Tsuzumi.Catalog.Tests;

/// <summary>The catalog's labelled queries (<c>routing.labelledQueries</c>): read beside the catalog, strict per line, part of the version.</summary>
public sealed class LabelledQueriesTests : IDisposable
{
    private readonly CatalogFolder folder = new();

    public void Dispose() => folder.Dispose();

    private string WriteCatalog(string? labelledQueries = "labelled.jsonl") => folder.Write(
        CatalogFolder.Catalog(CatalogFolder.Specialist("general"), CatalogFolder.Specialist("finance"))
            .Replace("\"fallback\": \"general\"", labelledQueries is null ? "\"fallback\": \"general\"" : $"\"fallback\": \"general\", \"labelledQueries\": \"{labelledQueries}\""));

    private void WriteLabelled(params string[] lines) => File.WriteAllLines(Path.Combine(folder.Root, "labelled.jsonl"), lines);

    [Fact]
    public void Each_specialist_gets_the_queries_labelled_with_its_id()
    {
        WriteLabelled(
            """{"query": "should i max out my nisa first", "specialist": "finance"}""",
            "",
            """{"query": "how do i make chicken stock", "specialist": "general"}""",
            """{"query": "配当金っていつもらえるの", "specialist": "finance"}""");

        var result = CatalogLoader.Load(WriteCatalog());

        Assert.Empty(result.Problems);
        Assert.Equal(["should i max out my nisa first", "配当金っていつもらえるの"], result.Catalog.FindSpecialist("finance")!.LabelledQueries);
        Assert.Equal(["how do i make chicken stock"], result.Catalog.FindSpecialist("general")!.LabelledQueries);
        Assert.Equal(Path.Combine(folder.Root, "labelled.jsonl"), result.Catalog.Routing.LabelledQueries);
    }

    [Fact]
    public void A_bad_line_is_left_out_with_its_file_and_line_and_the_rest_are_used()
    {
        WriteLabelled(
            """{"query": "what is a dividend", "specialist": "finance"}""",
            """{"query": "what is a dividend", "specialist": "general"}""",
            """{"query": "what is a bond", "specialist": "legal"}""",
            """{"query": "   ", "specialist": "finance"}""",
            """{"query": "what is a stock", "specialist": "finance", "tenant": "public"}""",
            """not json""",
            """{"query": "WHAT IS A DIVIDEND", "specialist": "finance"}""",
            """{"query": "what is an index fund", "specialist": "finance"}""");

        var result = CatalogLoader.Load(WriteCatalog());

        Assert.Equal(["what is a dividend", "what is an index fund"], result.Catalog.FindSpecialist("finance")!.LabelledQueries);
        Assert.Empty(result.Catalog.FindSpecialist("general")!.LabelledQueries);
        var problems = result.Problems.Select(problem => problem.ToString()).ToArray();
        Assert.Equal(5, problems.Length);
        Assert.Contains(problems, problem => problem.StartsWith("labelled.jsonl:2:") && problem.Contains("already labelled 'finance'"));
        Assert.Contains(problems, problem => problem.StartsWith("labelled.jsonl:3:") && problem.Contains("'legal' is not in the catalog"));
        Assert.Contains(problems, problem => problem.StartsWith("labelled.jsonl:4:") && problem.Contains("empty"));
        Assert.Contains(problems, problem => problem.StartsWith("labelled.jsonl:5:") && problem.Contains("tenant"));
        Assert.Contains(problems, problem => problem.StartsWith("labelled.jsonl:6:"));
    }

    [Fact]
    public void A_missing_file_is_reported_and_the_catalog_serves_on_without_labelled_queries()
    {
        var result = CatalogLoader.Load(WriteCatalog("nowhere.jsonl"));

        var problem = Assert.Single(result.Problems);
        Assert.Contains("nowhere.jsonl", problem.ToString());
        Assert.All(result.Catalog.Specialists, specialist => Assert.Empty(specialist.LabelledQueries));
        Assert.NotNull(result.Catalog.FindSpecialist("finance"));
    }

    [Fact]
    public void The_catalog_version_changes_when_only_the_labelled_queries_change()
    {
        var path = WriteCatalog();
        WriteLabelled("""{"query": "what is a dividend", "specialist": "finance"}""");
        var before = CatalogLoader.Load(path).Catalog.Version;

        WriteLabelled("""{"query": "what is a dividend", "specialist": "general"}""");
        var after = CatalogLoader.Load(path).Catalog.Version;

        Assert.NotEqual(before, after);
        Assert.NotEqual(CatalogLoader.Load(WriteCatalog(labelledQueries: null)).Catalog.Version, after);
    }

    [Fact]
    public void A_specialist_cannot_list_labelled_queries_in_its_own_entry()
    {
        var path = folder.Write(CatalogFolder.Catalog(
            CatalogFolder.Specialist("general"),
            CatalogFolder.Specialist("finance", extra: """, "labelledQueries": ["what is a dividend"]""")));

        var result = CatalogLoader.Load(path);

        Assert.Null(result.Catalog.FindSpecialist("finance"));
        Assert.Contains(result.Problems, problem => problem.ToString().Contains("labelledQueries"));
    }
}
