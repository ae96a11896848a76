using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Generation;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Serving;
using Tsuzumi.Inference.Tests.Adapters;
using Tsuzumi.Inference.Tests.Generation;
using Tsuzumi.Testing;

namespace Tsuzumi.Inference.Tests.Serving;

/// <summary>
/// stories260K with two random LoRA adapters ("tales", "fables") saved in PEFT format and registered, as a silo would
/// hold them; plus the reference every engine result is held to: the same request run alone through <see cref="TextGenerator"/>.
/// </summary>
public sealed class ServingScenario : IDisposable
{
    public static readonly string[] Prompts =
    [
        "Once upon a time", "The little dog", "Lily wanted to", "One day, a", "Tom and his mom went", "The sun was", "A big red ball",
        "There was a girl who loved",
    ];

    private readonly StoriesModel stories = new();
    private readonly string folder = Directory.CreateTempSubdirectory("tsuzumi-engine-").FullName;
    private readonly Lazy<AdapterRegistry> registry;

    public ServingScenario()
    {
        registry = new Lazy<AdapterRegistry>(() =>
        {
            var created = new AdapterRegistry(Model.Model.Config, long.MaxValue);
            foreach (var (id, seed) in new[] { ("tales", 11), ("fables", 12) })
            {
                using var adapter = SyntheticAdapter.Create(Model.Model.Config, id, rank: 4, seed: seed);
                var directory = Path.Combine(folder, id);
                PeftAdapterFormat.Save(adapter, directory);
                created.Register(id, directory);
            }
            return created;
        });
    }

    public PretrainedModel Model => stories.Require();

    public AdapterRegistry Registry => registry.Value;

    /// <summary>The adapter sets the scenarios mix: none, each adapter alone, and a weighted blend of both.</summary>
    public static IReadOnlyList<AdapterSelection>[] AdapterSets { get; } =
    [
        [],
        [new("tales")],
        [new("fables")],
        [new("tales", 0.7f), new("fables", 0.3f)],
    ];

    public GenerationEngine Engine(EngineOptions? options = null) => new(Model, Registry, options);

    public EngineRequest Request(string prompt, int maxTokens, IReadOnlyList<AdapterSelection>? adapters = null, string fairnessKey = "stories",
        SamplingOptions? sampling = null, bool stopAtEndOfGeneration = true) =>
        new(new GenerationRequest(Model.Tokenizer.Encode(prompt), maxTokens, sampling ?? SamplingOptions.Greedy)
        {
            StopAtEndOfGeneration = stopAtEndOfGeneration,
        }, adapters ?? [], fairnessKey);

    /// <summary>The request run alone, outside any engine, with the same adapters.</summary>
    public GenerationResult Alone(EngineRequest request)
    {
        var leases = request.Adapters.Select(selection => Registry.Acquire(selection.AdapterId)).ToArray();
        try
        {
            using var adapters = request.Adapters.Count == 0
                ? null
                : new AdapterBatch([request.Adapters.Select((selection, index) => new WeightedAdapter(leases[index].Adapter, selection.Weight)).ToArray()],
                    TorchSharp.torch.ScalarType.Float32);
            return new TextGenerator(Model.Model, Model.Tokenizer, adapters).Generate(request.Generation, TestContext.Current.CancellationToken);
        }
        finally
        {
            foreach (var lease in leases) lease.Dispose();
        }
    }

    public static void AssertSameGeneration(GenerationResult expected, GenerationResult actual)
    {
        Assert.Equal(expected.Tokens.Select(token => token.Id), actual.Tokens.Select(token => token.Id));
        Assert.Equal(expected.Text, actual.Text);
        Assert.Equal(expected.FinishReason, actual.FinishReason);
        Assert.Equal(expected.PromptTokenCount, actual.PromptTokenCount);
        foreach (var (want, got) in expected.Tokens.Zip(actual.Tokens)) Assert.Equal(want.LogProbability, got.LogProbability, 1e-3f);
    }

    /// <summary>Leases still held on the scenario's adapters (0 once every request has ended).</summary>
    public int Leases => Registry.Status().Sum(status => status.Leases);

    public void Dispose()
    {
        if (registry.IsValueCreated) registry.Value.Dispose();
        stories.Dispose();
        Directory.Delete(folder, recursive: true);
    }
}
