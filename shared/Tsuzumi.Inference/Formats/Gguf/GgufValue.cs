using System.Collections;

namespace Tsuzumi.Inference.Formats.Gguf;

/// <summary>
/// One GGUF metadata value. Scalars hold the matching .NET type (<c>uint</c> for UInt32, <c>string</c> for String…);
/// arrays hold a typed .NET array (<c>string[]</c>, <c>float[]</c>…) or, for arrays of arrays, a <see cref="GgufValue"/>[].
/// Equality is structural, so a value read back equals the value written.
/// </summary>
public sealed class GgufValue : IEquatable<GgufValue>
{
    private static readonly Dictionary<Type, GgufValueType> ScalarTypes = new()
    {
        [typeof(byte)] = GgufValueType.UInt8,
        [typeof(sbyte)] = GgufValueType.Int8,
        [typeof(ushort)] = GgufValueType.UInt16,
        [typeof(short)] = GgufValueType.Int16,
        [typeof(uint)] = GgufValueType.UInt32,
        [typeof(int)] = GgufValueType.Int32,
        [typeof(float)] = GgufValueType.Float32,
        [typeof(bool)] = GgufValueType.Bool,
        [typeof(string)] = GgufValueType.String,
        [typeof(ulong)] = GgufValueType.UInt64,
        [typeof(long)] = GgufValueType.Int64,
        [typeof(double)] = GgufValueType.Float64,
        [typeof(GgufValue)] = GgufValueType.Array,
    };

    private GgufValue(GgufValueType type, object value, GgufValueType? elementType)
    {
        Type = type;
        Value = value;
        ElementType = elementType;
    }

    public GgufValueType Type { get; }

    /// <summary>The element type when <see cref="Type"/> is <see cref="GgufValueType.Array"/>.</summary>
    public GgufValueType? ElementType { get; }

    public object Value { get; }

    public static GgufValue UInt8(byte value) => new(GgufValueType.UInt8, value, null);
    public static GgufValue Int8(sbyte value) => new(GgufValueType.Int8, value, null);
    public static GgufValue UInt16(ushort value) => new(GgufValueType.UInt16, value, null);
    public static GgufValue Int16(short value) => new(GgufValueType.Int16, value, null);
    public static GgufValue UInt32(uint value) => new(GgufValueType.UInt32, value, null);
    public static GgufValue Int32(int value) => new(GgufValueType.Int32, value, null);
    public static GgufValue Float32(float value) => new(GgufValueType.Float32, value, null);
    public static GgufValue Bool(bool value) => new(GgufValueType.Bool, value, null);
    public static GgufValue String(string value) => new(GgufValueType.String, value ?? throw new ArgumentNullException(nameof(value)), null);
    public static GgufValue UInt64(ulong value) => new(GgufValueType.UInt64, value, null);
    public static GgufValue Int64(long value) => new(GgufValueType.Int64, value, null);
    public static GgufValue Float64(double value) => new(GgufValueType.Float64, value, null);

    /// <summary>An array of scalars (<c>T</c> = byte…double, bool, string) or of arrays (<c>T</c> = <see cref="GgufValue"/>).</summary>
    public static GgufValue Array<T>(T[] items) where T : notnull
    {
        ArgumentNullException.ThrowIfNull(items);
        if (!ScalarTypes.TryGetValue(typeof(T), out var elementType))
            throw new ArgumentException($"{typeof(T).Name} is not a GGUF value type");
        if (items is GgufValue[] nested && nested.Any(item => item.Type != GgufValueType.Array))
            throw new ArgumentException("a GgufValue[] array may only hold arrays (GGUF's array of arrays)");
        return new GgufValue(GgufValueType.Array, items, elementType);
    }

    public string AsString() => Value as string ?? throw Mismatch("a string");

    public bool AsBool() => Value is bool flag ? flag : throw Mismatch("a bool");

    /// <summary>Any integer type, widened; a UInt64 beyond <see cref="long.MaxValue"/> is refused.</summary>
    public long AsInt64() => Value switch
    {
        byte v => v,
        sbyte v => v,
        ushort v => v,
        short v => v,
        uint v => v,
        int v => v,
        long v => v,
        ulong v when v <= long.MaxValue => (long)v,
        _ => throw Mismatch("an integer that fits in 64 bits"),
    };

    /// <summary>
    /// Float32 or Float64 (and integers, which some converters write for float keys). A Float32 widens through its
    /// shortest decimal form, so an epsilon stored as 1e-5f reads as 1e-5 rather than 9.99999974e-6.
    /// </summary>
    public double AsDouble() => Value switch
    {
        float v => double.Parse(v.ToString("R", System.Globalization.CultureInfo.InvariantCulture), System.Globalization.CultureInfo.InvariantCulture),
        double v => v,
        _ when Type is not (GgufValueType.Bool or GgufValueType.String or GgufValueType.Array) => AsInt64(),
        _ => throw Mismatch("a number"),
    };

    /// <summary>The array's items when they are of .NET type <typeparamref name="T"/>.</summary>
    public T[] AsArray<T>() => Value as T[] ?? throw Mismatch($"an array of {typeof(T).Name}");

    public bool Equals(GgufValue? other) =>
        other is not null && Type == other.Type && ElementType == other.ElementType && ValuesEqual(Value, other.Value);

    public override bool Equals(object? obj) => Equals(obj as GgufValue);

    public override int GetHashCode() => HashCode.Combine(Type, ElementType, Value is Array array ? array.Length : Value.GetHashCode());

    public override string ToString() => Value is Array array ? $"{ElementType}[{array.Length}]" : $"{Type} {Value}";

    private static bool ValuesEqual(object left, object right)
    {
        if (left is Array leftArray && right is Array rightArray)
            return StructuralComparisons.StructuralEqualityComparer.Equals(leftArray, rightArray);
        // Float NaN payloads compare by bits so a round trip of NaN is still "equal".
        return (left, right) switch
        {
            (float l, float r) => BitConverter.SingleToInt32Bits(l) == BitConverter.SingleToInt32Bits(r),
            (double l, double r) => BitConverter.DoubleToInt64Bits(l) == BitConverter.DoubleToInt64Bits(r),
            _ => left.Equals(right),
        };
    }

    private InvalidOperationException Mismatch(string wanted) => new($"GGUF value is {this}, not {wanted}");
}
