using System.Text.Json.Nodes;
using Tsuzumi.Inference.Formats;

namespace Tsuzumi.Inference.Adapters;

/// <summary>A LoRA adapter's hyper-parameters, as PEFT's <c>adapter_config.json</c> names them.</summary>
/// <param name="TargetModules">Module names such as <c>q_proj</c>.</param>
/// <param name="BaseModel"><c>base_model_name_or_path</c>: informational, shapes are what is validated.</param>
public sealed record LoraConfig(int Rank, double Alpha, IReadOnlyList<string> TargetModules, bool UseRsLora = false, string? BaseModel = null)
{
    public const string FileName = "adapter_config.json";

    /// <summary>The factor on B·A: α/r, or α/√r with rank-stabilised LoRA.</summary>
    public double Scale => UseRsLora ? Alpha / Math.Sqrt(Rank) : Alpha / Rank;

    public void Validate(string path)
    {
        if (Rank <= 0) throw new ModelFormatException(path, "r", $"rank must be positive, was {Rank}");
        if (!(Alpha > 0) || double.IsInfinity(Alpha)) throw new ModelFormatException(path, "lora_alpha", $"must be a positive number, was {Alpha}");
        if (TargetModules.Count == 0) throw new ModelFormatException(path, "target_modules", "no target modules");
        foreach (var target in TargetModules)
        {
            if (!LoraTargets.All.Contains(target))
                throw new ModelFormatException(path, "target_modules", $"unknown target module '{target}' (known: {string.Join(", ", LoraTargets.All)})");
        }
    }

    public static LoraConfig Read(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (Exception error) when (error is System.Text.Json.JsonException or IOException or UnauthorizedAccessException or System.Text.DecoderFallbackException)
        {
            throw new ModelFormatException(path, null, $"cannot read adapter config: {error.Message}", error);
        }
        if (root is not JsonObject json) throw new ModelFormatException(path, null, "adapter config must be a JSON object");
        var peftType = json["peft_type"]?.GetValue<string>();
        if (peftType is not null && peftType != "LORA") throw new ModelFormatException(path, "peft_type", $"'{peftType}' adapters are not supported (LORA)");
        try
        {
            var targets = json["target_modules"] switch
            {
                JsonArray array => array.Select(node => node!.GetValue<string>()).ToArray(),
                JsonValue value => [value.GetValue<string>()],
                _ => throw new ModelFormatException(path, "target_modules", "missing"),
            };
            var config = new LoraConfig(
                Rank: json["r"]?.GetValue<int>() ?? throw new ModelFormatException(path, "r", "missing"),
                Alpha: json["lora_alpha"]?.GetValue<double>() ?? throw new ModelFormatException(path, "lora_alpha", "missing"),
                TargetModules: targets,
                UseRsLora: json["use_rslora"]?.GetValue<bool>() ?? false,
                BaseModel: json["base_model_name_or_path"]?.GetValue<string?>());
            config.Validate(path);
            return config;
        }
        catch (Exception error) when (error is InvalidOperationException or FormatException)
        {
            throw new ModelFormatException(path, null, $"adapter config has a value of the wrong type: {error.Message}", error);
        }
    }

    /// <summary>The JSON PEFT writes for a causal-LM LoRA adapter.</summary>
    public JsonObject ToJson() => new()
    {
        ["peft_type"] = "LORA",
        ["task_type"] = "CAUSAL_LM",
        ["r"] = Rank,
        ["lora_alpha"] = Alpha,
        ["lora_dropout"] = 0.0,
        ["target_modules"] = new JsonArray(TargetModules.Select(target => (JsonNode)target).ToArray()),
        ["use_rslora"] = UseRsLora,
        ["bias"] = "none",
        ["fan_in_fan_out"] = false,
        ["base_model_name_or_path"] = BaseModel,
        ["inference_mode"] = true,
    };
}
