using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tsuzumi.Catalog;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Loading;
using Tsuzumi.Inference.Serving;
using Tsuzumi.Inference.Tokenization;
using static TorchSharp.torch;

namespace Tsuzumi.Silo.Hosting;

/// <summary>
/// The base models this silo hosts: each loaded once at startup, with one <see cref="GenerationEngine"/> and one
/// <see cref="AdapterRegistry"/> that all its specialists share. A model that fails to load stops the silo (fail fast).
/// </summary>
public sealed partial class ModelHost(ICatalogSource catalog, ModelHostOptions options, ILogger<ModelHost> logger) : IHostedService, IAsyncDisposable
{
    private readonly TaskCompletionSource loaded = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private IReadOnlyDictionary<string, HostedBaseModel> models = new Dictionary<string, HostedBaseModel>();

    /// <summary>The ids of the base models this silo hosts (known before they finish loading).</summary>
    public IReadOnlyList<string> HostedIds { get; } = options.ResolveHosted(catalog.Current);

    /// <summary>Adapter versions switched to by adapter-published events (AdapterLifecycle/), over the catalog paths.</summary>
    public AdapterLifecycle.PublishedAdapterVersions PublishedAdapters { get; } = new();

    public bool IsLoaded => loaded.Task.IsCompletedSuccessfully;

    public bool Hosts(string baseModelId) => HostedIds.Contains(baseModelId);

    /// <summary>The loaded model, waiting for startup to finish loading; null when this silo does not host it.</summary>
    public async ValueTask<HostedBaseModel?> FindAsync(string baseModelId, CancellationToken cancellation = default)
    {
        if (!Hosts(baseModelId)) return null;
        await loaded.Task.WaitAsync(cancellation);
        return models.GetValueOrDefault(baseModelId);
    }

    public IReadOnlyCollection<HostedBaseModel> Loaded => IsLoaded ? models.Values.ToArray() : [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        try
        {
            var result = new Dictionary<string, HostedBaseModel>();
            foreach (var id in HostedIds)
            {
                var definition = catalog.Current.FindBaseModel(id) ?? throw new InvalidOperationException($"base model '{id}' left the catalog during startup");
                result[id] = await Task.Run(() => Load(definition), cancellationToken);
            }
            models = result;
            loaded.TrySetResult();
            if (HostedIds.Count == 0) LogHostsNone(logger);
        }
        catch (Exception error)
        {
            loaded.TrySetException(error);
            throw;
        }
    }

    private HostedBaseModel Load(BaseModelDefinition definition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var dtype = definition.DType switch { "bf16" => ScalarType.BFloat16, "f32" => ScalarType.Float32, _ => (ScalarType?)null };
        var model = PretrainedModel.Load(definition.Path, dtype);
        try
        {
            var template = ChatTemplate.Detect(model.ChatTemplate, model.Tokenizer, definition.ChatTemplate);
            var adapters = new AdapterRegistry(model.Model.Config, options.AdapterMemoryBudgetBytes);
            var engine = new GenerationEngine(model, adapters, new EngineOptions { MaxBatchSize = options.MaxBatchSize, MaxQueueLength = options.MaxQueueLength, GroupWait = options.PrefillGroupWait });
            LogLoaded(logger, definition.Id, definition.Path, template.Format.ToString(), clock.Elapsed.TotalMilliseconds);
            return new HostedBaseModel(definition, model, adapters, engine, template);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync()
    {
        foreach (var model in models.Values) await model.DisposeAsync();
        models = new Dictionary<string, HostedBaseModel>();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Base model {Id} loaded from {Path} (chat format {Format}) in {Milliseconds:0} ms")]
    private static partial void LogLoaded(ILogger logger, string id, string path, string format, double milliseconds);

    [LoggerMessage(Level = LogLevel.Information, Message = "This silo hosts no base model: no specialist is placed here")]
    private static partial void LogHostsNone(ILogger logger);
}
