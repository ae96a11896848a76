using Tsuzumi.Inference.Formats;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>
/// Strict loading: every parameter of the model must be in the checkpoint with the same shape, and every
/// tensor of the checkpoint must be a parameter — anything else names the tensor in a <see cref="ModelFormatException"/>.
/// </summary>
public static class CheckpointLoader
{
    public static LlamaForCausalLM Load(Checkpoint checkpoint, ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"compute dtype {dtype} is not supported (Float32, BFloat16)", nameof(dtype));
        try
        {
            checkpoint.Config.Validate();
        }
        catch (ArgumentException invalid)
        {
            throw new ModelFormatException(checkpoint.SourcePath, "config", invalid.Message, invalid);
        }

        var model = new LlamaForCausalLM(checkpoint.Config, dtype);
        try
        {
            var parameters = model.named_parameters().ToDictionary(pair => pair.name, pair => pair.parameter);
            foreach (var name in checkpoint.Tensors.Keys)
            {
                var tiedHead = name == "lm_head.weight" && checkpoint.Config.TieWordEmbeddings;
                if (!parameters.ContainsKey(name) && !tiedHead)
                    throw new ModelFormatException(checkpoint.SourcePath, name, "unexpected tensor: the model has no such parameter");
            }
            using var noGrad = no_grad();
            foreach (var (name, parameter) in parameters)
            {
                if (!checkpoint.Tensors.TryGetValue(name, out var source))
                    throw new ModelFormatException(checkpoint.SourcePath, name, "missing tensor");
                if (!source.Shape.SequenceEqual(parameter.shape))
                    throw new ModelFormatException(checkpoint.SourcePath, name,
                        $"shape [{string.Join(", ", source.Shape)}] does not match the model's [{string.Join(", ", parameter.shape)}]");
                var data = source.ReadFloat32();
                using var values = tensor(data, source.Shape);
                parameter.copy_(values);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }
}
