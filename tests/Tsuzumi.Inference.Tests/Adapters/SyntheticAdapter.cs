using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;
using Tsuzumi.Inference.Runtime;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Tests.Adapters;

/// <summary>Seeded random LoRA adapters for a model configuration.</summary>
public static class SyntheticAdapter
{
    public static LoraAdapter Create(LlamaConfig config, string id, int rank = 4, int seed = 1, double alpha = 8,
        IReadOnlyList<string>? targets = null)
    {
        targets ??= LoraTargets.Layers;
        var generator = new TorchSharp.torch.Generator((ulong)seed);
        var pairs = new Dictionary<string, LoraPair>();
        for (var layer = 0; layer < config.NumHiddenLayers; layer++)
        {
            foreach (var target in targets)
            {
                var (inFeatures, outFeatures) = LoraTargets.Shape(config, target);
                // Unlike a fresh PEFT adapter (B = 0), both factors are random so the adapter changes the output.
                pairs[LoraTargets.ModulePath(layer, target)] = new LoraPair(
                    randn(new long[] { rank, inFeatures }, generator: generator).Times(0.1f),
                    randn(new long[] { outFeatures, rank }, generator: generator).Times(0.1f));
            }
        }
        return new LoraAdapter(id, $"v{seed}", new LoraConfig(rank, alpha, targets), pairs);
    }
}
