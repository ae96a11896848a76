using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

namespace Tsuzumi.Inference.Formats.Safetensors;

/// <summary>Element-wise conversions between stored 16/64-bit floats and the float32 the runtime computes in.</summary>
internal static class FloatConversions
{
    /// <summary>bfloat16 is the top half of a float32, so widening is a shift.</summary>
    public static float BFloat16ToSingle(ushort bits) => BitConverter.Int32BitsToSingle(bits << 16);

    /// <summary>Rounds to nearest, ties to even (as torch does); NaN stays a (quiet) NaN instead of rounding to infinity.</summary>
    public static ushort SingleToBFloat16(float value)
    {
        var bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x0040);
        var roundingBias = 0x7FFFu + ((bits >> 16) & 1u);
        return (ushort)((bits + roundingBias) >> 16);
    }

    /// <summary>Decodes little-endian <paramref name="source"/> of <paramref name="dtype"/> into <paramref name="destination"/>.</summary>
    public static void ToSingles(SafetensorsDtype dtype, ReadOnlySpan<byte> source, Span<float> destination)
    {
        switch (dtype)
        {
            case SafetensorsDtype.F32 when BitConverter.IsLittleEndian:
                MemoryMarshal.Cast<byte, float>(source[..(destination.Length * 4)]).CopyTo(destination);
                break;
            case SafetensorsDtype.F32:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
                break;
            case SafetensorsDtype.BF16 when BitConverter.IsLittleEndian:
                WidenBFloat16(MemoryMarshal.Cast<byte, ushort>(source[..(destination.Length * 2)]), destination);
                break;
            case SafetensorsDtype.F16:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadHalfLittleEndian(source[(i * 2)..]);
                break;
            case SafetensorsDtype.BF16:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BFloat16ToSingle(BinaryPrimitives.ReadUInt16LittleEndian(source[(i * 2)..]));
                break;
            case SafetensorsDtype.F64:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = (float)BinaryPrimitives.ReadDoubleLittleEndian(source[(i * 8)..]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a floating-point type");
        }
    }

    /// <summary>True when no element is NaN or infinite (exponent bits not all ones), checked a vector at a time.</summary>
    public static bool AllFinite(ReadOnlySpan<float> values)
    {
        const uint exponent = 0x7F800000;
        var bits = MemoryMarshal.Cast<float, uint>(values);
        var i = 0;
        if (Vector512.IsHardwareAccelerated && bits.Length >= Vector512<uint>.Count)
        {
            var mask = Vector512.Create(exponent);
            var any = Vector512<uint>.Zero;
            for (; i <= bits.Length - Vector512<uint>.Count; i += Vector512<uint>.Count)
                any |= Vector512.Equals(Vector512.Create(bits[i..]) & mask, mask);
            if (any != Vector512<uint>.Zero) return false;
        }
        else if (Vector256.IsHardwareAccelerated && bits.Length >= Vector256<uint>.Count)
        {
            var mask = Vector256.Create(exponent);
            var any = Vector256<uint>.Zero;
            for (; i <= bits.Length - Vector256<uint>.Count; i += Vector256<uint>.Count)
                any |= Vector256.Equals(Vector256.Create(bits[i..]) & mask, mask);
            if (any != Vector256<uint>.Zero) return false;
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & exponent) == exponent) return false;
        return true;
    }

    /// <summary>bfloat16 → float32 a vector at a time: widen each 16-bit value and shift it into the top half.</summary>
    private static void WidenBFloat16(ReadOnlySpan<ushort> source, Span<float> destination)
    {
        var output = MemoryMarshal.Cast<float, uint>(destination);
        var i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; i <= source.Length - Vector256<ushort>.Count; i += Vector256<ushort>.Count)
            {
                var (lower, upper) = Vector256.Widen(Vector256.Create(source[i..]));
                Vector256.ShiftLeft(lower, 16).CopyTo(output[i..]);
                Vector256.ShiftLeft(upper, 16).CopyTo(output[(i + Vector256<uint>.Count)..]);
            }
        }
        for (; i < source.Length; i++) output[i] = (uint)source[i] << 16;
    }

    /// <summary>Encodes <paramref name="source"/> as little-endian <paramref name="dtype"/> (F32, F16 or BF16).</summary>
    public static void FromSingles(SafetensorsDtype dtype, ReadOnlySpan<float> source, Span<byte> destination)
    {
        switch (dtype)
        {
            case SafetensorsDtype.F32:
                for (var i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(destination[(i * 4)..], source[i]);
                break;
            case SafetensorsDtype.F16:
                for (var i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteHalfLittleEndian(destination[(i * 2)..], (Half)source[i]);
                break;
            case SafetensorsDtype.BF16:
                for (var i = 0; i < source.Length; i++)
                    BinaryPrimitives.WriteUInt16LittleEndian(destination[(i * 2)..], SingleToBFloat16(source[i]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "only F32, F16 and BF16 are written");
        }
    }
}
