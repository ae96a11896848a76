namespace Tsuzumi.Benchmarks;

/// <summary>
/// A model loaded in one runtime, ready to be timed. Runtimes stay loaded side by side so their runs can alternate:
/// on a shared machine the load changes minute to minute, and alternating keeps both under the same conditions.
/// </summary>
internal interface IDecodeRuntime : IDisposable
{
    string Runtime { get; }

    /// <summary>The precision the weights are read in: F32/F16 (llama.cpp, as stored) or fp32/bf16 (this runtime's compute dtype).</summary>
    string Precision { get; }

    /// <summary>Weight bytes one decode step reads from memory.</summary>
    long BytesPerToken { get; }

    double LoadSeconds { get; }

    /// <summary>Prefills the workload's prompt into a fresh cache, then decodes greedily; returns the two throughputs.</summary>
    (double PrefillTokensPerSecond, double DecodeTokensPerSecond) RunOnce(DecodeWorkload workload);
}
