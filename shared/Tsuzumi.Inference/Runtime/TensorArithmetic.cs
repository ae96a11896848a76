using TorchSharp;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Runtime;

/// <summary>
/// Tensor arithmetic with a number, and a + b, without leaving a TorchSharp <see cref="Scalar"/> to the finaliser.
/// <para>
/// TorchSharp 0.107's Scalar owns a native c10::Scalar that its finaliser frees, and TorchSharp hands libtorch only the
/// raw handle. A Scalar made for one call — an implicit conversion (<c>x + 1e-5</c>, <c>pow(2)</c>, <c>arange(n)</c>,
/// <c>fill_(0)</c>) or the alpha = 1 that TorchSharp itself creates inside <c>a + b</c>, <c>add_(b)</c> and
/// <c>arange(stop)</c> — is unreachable once its handle is read, so a collection on any other thread can finalise it
/// while libtorch is still reading it. libtorch then meets freed memory: a "toFloat" check failing inside add (the rare
/// unexplained CI failures), or, when the block was already reused by another Scalar, silently a different number.
/// Dispose scopes do not help: 0.107 tracks tensors in them, not Scalars.
/// </para>
/// <para>
/// Here every Scalar is either static (never finalised, never disposed: do not dispose them) or held by a <c>using</c>
/// until the call has returned. The project bans the implicit conversions and the TorchSharp members that make hidden
/// Scalars (BannedSymbols.txt), so new code comes here. docs/decisions/0020-scalar-lifetime.md has the evidence.
/// </para>
/// </summary>
public static class TensorArithmetic
{
    private static readonly Scalar One = 1.ToScalar();
    private static readonly Scalar Zero = 0.ToScalar();
    private static readonly Scalar Two = 2.ToScalar();

    /// <summary>left + right (TorchSharp's <c>+</c> with its alpha held).</summary>
    public static Tensor Plus(this Tensor left, Tensor right) => left.add(right, One);

    /// <summary>target += other, in place.</summary>
    public static Tensor PlusInPlace(this Tensor target, Tensor other) => target.add_(other, One);

    /// <summary>left + right for a number.</summary>
    public static Tensor Plus(this Tensor left, double right)
    {
        using var value = right.ToScalar();
        return left.add(value, One);
    }

    /// <summary>left − right for a number.</summary>
    public static Tensor Minus(this Tensor left, double right)
    {
        using var value = right.ToScalar();
        return left.sub(value);
    }

    /// <summary>left · right for a number.</summary>
    public static Tensor Times(this Tensor left, double right)
    {
        using var value = right.ToScalar();
        return left.mul(value);
    }

    /// <summary>left / right for a number.</summary>
    public static Tensor DividedBy(this Tensor left, double right)
    {
        using var value = right.ToScalar();
        return left.div(value);
    }

    /// <summary>x² (libtorch's pow with an integer 2, as <c>pow(2)</c> gave).</summary>
    public static Tensor Squared(this Tensor x) => x.pow(Two);

    /// <summary>Fills <paramref name="target"/> with <paramref name="value"/>, in place.</summary>
    public static Tensor FillWith(this Tensor target, double value)
    {
        using var scalar = value.ToScalar();
        return target.fill_(scalar);
    }

    /// <summary>target[index[i]] along <paramref name="dimension"/> += source[i], in place.</summary>
    public static Tensor IndexAddInPlace(this Tensor target, long dimension, Tensor index, Tensor source) =>
        target.index_add_(dimension, index, source, One);

    /// <summary>0, 1, …, stop − 1 (int64, or <paramref name="dtype"/>).</summary>
    public static Tensor Range(long stop, ScalarType dtype = ScalarType.Int64) => Range(0, stop, dtype);

    /// <summary>start, start + 1, …, stop − 1 (int64, or <paramref name="dtype"/>).</summary>
    public static Tensor Range(long start, long stop, ScalarType dtype = ScalarType.Int64)
    {
        if (start == 0) return Range(Zero, stop, dtype);
        using var first = start.ToScalar();
        return Range(first, stop, dtype);
    }

    private static Tensor Range(Scalar start, long stop, ScalarType dtype)
    {
        using var end = stop.ToScalar();
        return arange(start, end, One, dtype);
    }
}
