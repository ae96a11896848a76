using System.CommandLine;
using System.Globalization;
using Tsuzumi.Inference.Adapters;
using Tsuzumi.Inference.Model;

namespace Tsuzumi.Cli.Commands;

/// <summary><c>--adapter PATH[:WEIGHT]</c>, repeatable: PEFT folders or llama.cpp <c>.gguf</c> LoRA files, applied unmerged, weighted.</summary>
internal static class AdapterOption
{
    public static Option<string[]> Create() => new("--adapter")
    {
        Description = "A LoRA adapter: a PEFT folder or a llama.cpp .gguf LoRA file, optionally :WEIGHT (default 1); repeat to combine adapters",
        AllowMultipleArgumentsPerToken = false,
    };

    /// <summary>Loads every adapter; the caller disposes them.</summary>
    public static IReadOnlyList<WeightedAdapter> Load(IEnumerable<string>? specifications, LlamaConfig baseConfig)
    {
        var adapters = new List<WeightedAdapter>();
        foreach (var specification in specifications ?? [])
        {
            var (path, weight) = Parse(specification);
            adapters.Add(new WeightedAdapter(LoraAdapter.Load(path, baseConfig), weight));
        }
        return adapters;
    }

    public static (string Path, float Weight) Parse(string specification)
    {
        var colon = specification.LastIndexOf(':');
        if (colon > 0 && float.TryParse(specification[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
        {
            if (!float.IsFinite(weight)) throw new ArgumentException($"adapter weight in '{specification}' must be finite");
            return (specification[..colon], weight);
        }
        return (specification, 1f);
    }
}
