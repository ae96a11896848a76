using System.Globalization;

namespace Tsuzumi.Inference.Evaluation;

/// <summary>A PEFT LoRA adapter folder and the weight it is mixed in with.</summary>
public sealed record AdapterSpec(string Directory, float Weight = 1f)
{
    /// <summary>
    /// <c>DIR</c> or <c>DIR:WEIGHT</c>. The text after the last ':' is a weight only when it parses as a number,
    /// so folder names containing ':' still work.
    /// </summary>
    public static AdapterSpec Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        var colon = text.LastIndexOf(':');
        if (colon > 0 && float.TryParse(text[(colon + 1)..], NumberStyles.Float, CultureInfo.InvariantCulture, out var weight))
        {
            if (!float.IsFinite(weight)) throw new ArgumentException($"adapter weight in '{text}' must be a finite number", nameof(text));
            return new AdapterSpec(text[..colon], weight);
        }
        return new AdapterSpec(text);
    }

    public override string ToString() => Weight == 1f ? Directory : $"{Directory}:{Weight.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>A named (model, adapters) pair to evaluate, e.g. one specialist of the constellation catalog.</summary>
public sealed record Contestant(string Name, string ModelPath, IReadOnlyList<AdapterSpec> Adapters)
{
    /// <summary>This contestant's chat format when prompts are templated (a catalog base model's), else the run's.</summary>
    public string? ChatFormat { get; init; }

    /// <summary>This contestant's precision when the run sets none (a catalog base model's <c>dtype</c>, as it is served); null: the checkpoint's fastest correct one.</summary>
    public TorchSharp.torch.ScalarType? DType { get; init; }

    public static Contestant ForModel(string modelPath, IReadOnlyList<AdapterSpec>? adapters = null, string? name = null)
    {
        adapters ??= [];
        var baseName = Path.GetFileNameWithoutExtension(Path.TrimEndingDirectorySeparator(modelPath));
        var adapterNames = adapters.Select(adapter => Path.GetFileName(Path.TrimEndingDirectorySeparator(adapter.Directory)));
        return new Contestant(name ?? string.Join("+", [baseName, .. adapterNames]), modelPath, adapters);
    }
}

/// <summary>Every task's result for one contestant.</summary>
public sealed record ContestantResult(Contestant Contestant, IReadOnlyList<TaskResult> Tasks);
