// y = W·x for 2..16 bf16 activation rows against bf16 weights, with AVX512-BF16's vdpbf16ps (two bf16 products per
// fp32 lane per instruction). .NET 10 exposes no AVX512-BF16 intrinsics, and widening bf16 to fp32 in C# costs twice
// the FMAs, which bound a batch of 8 decode rows (docs/benchmarks.md, "Multi-LoRA benchmarks"). Called from
// Model/SingleRowProjection.cs only where CPUID reports AVX512_BF16. Built by Tsuzumi.Inference.csproj with gcc.
#include <immintrin.h>
#include <stdint.h>
#include <string.h>

static inline float bf16_to_float(uint16_t value)
{
    uint32_t bits = (uint32_t)value << 16;
    float result;
    memcpy(&result, &bits, sizeof result);
    return result;
}

// Round to nearest even, NaN kept quiet: as libtorch and SingleRowProjection.FloatToBf16 round.
static inline uint16_t float_to_bf16(float value)
{
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    if (value != value) return (uint16_t)((bits >> 16) | 0x40);
    bits += 0x7FFF + ((bits >> 16) & 1);
    return (uint16_t)(bits >> 16);
}

// Two weight rows × n (≤ 8) input rows: 2n accumulators in registers, each loaded weight vector feeds n products.
// The next two rows are prefetched while these stream (measured: memory otherwise idles between misses).
static inline __attribute__((always_inline)) void tile(const uint16_t *w0, const uint16_t *w1, const uint16_t *x, int n,
                                                       uint16_t *y, int outputs, int r, int has_second, int columns)
{
    __m512 a0[8], a1[8];
    for (int i = 0; i < n; i++) { a0[i] = _mm512_setzero_ps(); a1[i] = _mm512_setzero_ps(); }
    const int vector_columns = columns & ~31;
    for (int c = 0; c < vector_columns; c += 32)
    {
        _mm_prefetch((const char *)(w0 + 2 * (long)columns + 2 * c), _MM_HINT_T0);
        _mm_prefetch((const char *)(w0 + 2 * (long)columns + 2 * c + 32), _MM_HINT_T0);
        const __m512bh l0 = (__m512bh)_mm512_loadu_si512(w0 + c);
        const __m512bh l1 = (__m512bh)_mm512_loadu_si512(w1 + c);
        for (int i = 0; i < n; i++)
        {
            const __m512bh v = (__m512bh)_mm512_loadu_si512(x + (long)i * columns + c);
            a0[i] = _mm512_dpbf16_ps(a0[i], l0, v);
            a1[i] = _mm512_dpbf16_ps(a1[i], l1, v);
        }
    }
    for (int i = 0; i < n; i++)
    {
        float s0 = _mm512_reduce_add_ps(a0[i]), s1 = _mm512_reduce_add_ps(a1[i]);
        const uint16_t *xi = x + (long)i * columns;
        for (int c = vector_columns; c < columns; c++)
        {
            s0 += bf16_to_float(w0[c]) * bf16_to_float(xi[c]);
            s1 += bf16_to_float(w1[c]) * bf16_to_float(xi[c]);
        }
        y[(long)i * outputs + r] = float_to_bf16(s0);
        if (has_second) y[(long)i * outputs + r + 1] = float_to_bf16(s1);
    }
}

// y[i, r] = W[r, :]·x[i, :] for weight rows r in [0, count) and input rows i in [0, inputs); y's rows `outputs` apart.
__attribute__((visibility("default"))) void tsuzumi_bf16_rows(const uint16_t *weights, const uint16_t *x, int inputs,
                                                              uint16_t *y, int outputs, int count, int columns)
{
    // Weight rows outer: with more than 8 inputs the second group finds the two rows still in L1.
    for (int r = 0; r < count; r += 2)
    {
        const uint16_t *w0 = weights + (long)r * columns;
        const int has_second = r + 1 < count;
        const uint16_t *w1 = has_second ? w0 + columns : w0;
        for (int first = 0; first < inputs; first += 8)
        {
            const int n = inputs - first < 8 ? inputs - first : 8;
            const uint16_t *xs = x + (long)first * columns;
            uint16_t *ys = y + (long)first * outputs;
            // Constant n per case: the compiler unrolls the row loops and keeps the accumulators in registers.
            switch (n)
            {
                case 1: tile(w0, w1, xs, 1, ys, outputs, r, has_second, columns); break;
                case 2: tile(w0, w1, xs, 2, ys, outputs, r, has_second, columns); break;
                case 3: tile(w0, w1, xs, 3, ys, outputs, r, has_second, columns); break;
                case 4: tile(w0, w1, xs, 4, ys, outputs, r, has_second, columns); break;
                case 5: tile(w0, w1, xs, 5, ys, outputs, r, has_second, columns); break;
                case 6: tile(w0, w1, xs, 6, ys, outputs, r, has_second, columns); break;
                case 7: tile(w0, w1, xs, 7, ys, outputs, r, has_second, columns); break;
                default: tile(w0, w1, xs, 8, ys, outputs, r, has_second, columns); break;
            }
        }
    }
}

static inline __m512 load_bf16_as_float(const uint16_t *source)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)source)), 16));
}

// One token's low-rank adapter correction, added into its bf16 output row: y[c] += Σ_j (scale·A[j,:]·x)·Bᵀ[j, c].
// A [rank, columns] and Bᵀ [rank, outputs] are bf16, row-major; the product stays in fp32 until the one rounding of
// y. Each token of a batch has its own A and B (the BGMV idea): called once per (token, adapter), each call streams
// that adapter's A and B once.
__attribute__((visibility("default"))) void tsuzumi_bf16_lora_row(const uint16_t *x, int columns, const uint16_t *a,
                                                                  const uint16_t *b_transposed, int rank, float scale,
                                                                  uint16_t *y, int outputs)
{
    float low[rank];
    const int vector_columns = columns & ~31;
    for (int j = 0; j < rank; j++)
    {
        const uint16_t *row = a + (long)j * columns;
        __m512 sum = _mm512_setzero_ps();
        for (int c = 0; c < vector_columns; c += 32)
            sum = _mm512_dpbf16_ps(sum, (__m512bh)_mm512_loadu_si512(row + c), (__m512bh)_mm512_loadu_si512(x + c));
        float dot = _mm512_reduce_add_ps(sum);
        for (int c = vector_columns; c < columns; c++) dot += bf16_to_float(row[c]) * bf16_to_float(x[c]);
        low[j] = scale * dot;
    }
    const int vector_outputs = outputs & ~15;
    for (int c = 0; c < vector_outputs; c += 16)
    {
        __m512 sum = load_bf16_as_float(y + c);
        for (int j = 0; j < rank; j++)
            sum = _mm512_fmadd_ps(_mm512_set1_ps(low[j]), load_bf16_as_float(b_transposed + (long)j * outputs + c), sum);
        _mm256_storeu_si256((__m256i *)(y + c), (__m256i)_mm512_cvtneps_pbh(sum));
    }
    for (int c = vector_outputs; c < outputs; c++)
    {
        float sum = bf16_to_float(y[c]);
        for (int j = 0; j < rank; j++) sum += low[j] * bf16_to_float(b_transposed[(long)j * outputs + c]);
        y[c] = float_to_bf16(sum);
    }
}
