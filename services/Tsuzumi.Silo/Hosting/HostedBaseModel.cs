using Tsuzumi.Catalog;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Serving;
using Tsuzumi.Inference.Tokenization;

namespace Tsuzumi.Silo.Hosting;

/// <summary>One base model loaded on this silo: its weights once, the engine every specialist of it shares, and its adapters.</summary>
public sealed class HostedBaseModel(BaseModelDefinition definition, PretrainedModel model, AdapterRegistry adapters, GenerationEngine engine, ChatTemplate template)
    : IAsyncDisposable
{
    public BaseModelDefinition Definition { get; } = definition;

    public string Id => Definition.Id;

    public PretrainedModel Model { get; } = model;

    public AdapterRegistry Adapters { get; } = adapters;

    public GenerationEngine Engine { get; } = engine;

    public ChatTemplate Template { get; } = template;

    public int ContextWindow => Model.Model.Config.MaxPositionEmbeddings;

    public async ValueTask DisposeAsync()
    {
        await Engine.DisposeAsync();
        Adapters.Dispose();
        Model.Dispose();
    }
}
