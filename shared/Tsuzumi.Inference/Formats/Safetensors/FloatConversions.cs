using System.Buffers.Binary;

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
            case SafetensorsDtype.F32:
                for (var i = 0; i < destination.Length; i++)
                    destination[i] = BinaryPrimitives.ReadSingleLittleEndian(source[(i * 4)..]);
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
