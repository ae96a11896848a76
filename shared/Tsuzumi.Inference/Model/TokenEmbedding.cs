using TorchSharp;
using static TorchSharp.torch;
using Parameter = TorchSharp.Modules.Parameter;

namespace Tsuzumi.Inference.Model;

/// <summary>Token id → vector lookup; the table may be shared with the output head (tied embeddings).</summary>
public sealed class TokenEmbedding : nn.Module
{
#pragma warning disable IDE1006 // field names are checkpoint keys
    private readonly Parameter weight; // [vocab, hidden]
#pragma warning restore IDE1006

    public TokenEmbedding(string name, long vocabularySize, long hiddenSize, ScalarType dtype) : base(name)
    {
        weight = new Parameter(empty(vocabularySize, hiddenSize, dtype: dtype), requires_grad: false);
        RegisterComponents();
    }

    public Parameter Weight => weight;

    /// <summary>[batch, seq] int64 → [batch, seq, hidden].</summary>
    public Tensor Forward(Tensor tokenIds) => weight.index_select(0, tokenIds.flatten()).view(tokenIds.shape[0], tokenIds.shape[1], -1);
}
