using Tsuzumi.Inference.Formats;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Model;

/// <summary>A live model's weights as a <see cref="Checkpoint"/>, e.g. to save a merged or fine-tuned model.</summary>
public static class ModelExport
{
    public static Checkpoint ToCheckpoint(LlamaForCausalLM model, string sourceName, string? chatTemplate = null)
    {
        var tensors = model.named_parameters().ToDictionary(
            pair => pair.name,
            pair =>
            {
                var parameter = pair.parameter;
                return new CheckpointTensor(pair.name, parameter.shape, parameter.dtype == ScalarType.BFloat16 ? "BF16" : "F32",
                    () => parameter.detach().to(ScalarType.Float32).contiguous().data<float>().ToArray());
            });
        return new Checkpoint(sourceName, model.Config, tensors, Tokenizer: null, chatTemplate);
    }
}
