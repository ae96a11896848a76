using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace Tsuzumi.Inference.Runtime;

/// <summary>
/// The address of a CPU tensor's first element, for kernels written in C#. TorchSharp keeps its own accessor internal,
/// so this asks the same native entry point it uses (LibTorchSharp's <c>THSTensor_data</c>).
/// </summary>
internal static partial class TensorMemory
{
    /// <summary>Valid while <paramref name="tensor"/> is alive and not resized; callers keep it alive for the kernel's duration.</summary>
    public static unsafe void* DataPointer(Tensor tensor)
    {
        var pointer = THSTensor_data(tensor.Handle);
        if (pointer == IntPtr.Zero) throw new InvalidOperationException("tensor has no data (empty or not materialised)");
        return (void*)pointer;
    }

    [LibraryImport("LibTorchSharp")]
    private static partial IntPtr THSTensor_data(IntPtr tensor);
}
