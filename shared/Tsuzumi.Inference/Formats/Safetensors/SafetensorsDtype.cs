namespace Tsuzumi.Inference.Formats.Safetensors;

/// <summary>
/// Element types a safetensors header may name. Declared in the reference implementation's order (increasing
/// alignment), which its writer sorts by, so <see cref="SafetensorsWriter"/> can reproduce its layout.
/// </summary>
public enum SafetensorsDtype
{
    BOOL,
    U8,
    I8,
    F8_E5M2,
    F8_E4M3,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
}

public static class SafetensorsDtypes
{
    /// <summary>Bytes per element.</summary>
    public static int Size(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL or SafetensorsDtype.U8 or SafetensorsDtype.I8
            or SafetensorsDtype.F8_E5M2 or SafetensorsDtype.F8_E4M3 => 1,
        SafetensorsDtype.I16 or SafetensorsDtype.U16 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.I32 or SafetensorsDtype.U32 or SafetensorsDtype.F32 => 4,
        SafetensorsDtype.F64 or SafetensorsDtype.I64 or SafetensorsDtype.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    /// <summary>Types that <see cref="SafetensorsFile.ReadFloat32"/> converts; the rest are readable as raw bytes only.</summary>
    public static bool IsReadableAsFloat32(this SafetensorsDtype dtype) =>
        dtype is SafetensorsDtype.F32 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.F64;

    /// <summary>Parses the header spelling (<c>"BF16"</c>); exact and case-sensitive, as the reference is.</summary>
    public static bool TryParse(string text, out SafetensorsDtype dtype)
    {
        foreach (var candidate in Enum.GetValues<SafetensorsDtype>())
        {
            if (string.Equals(candidate.ToString(), text, StringComparison.Ordinal))
            {
                dtype = candidate;
                return true;
            }
        }
        dtype = default;
        return false;
    }
}
