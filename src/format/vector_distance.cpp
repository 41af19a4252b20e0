#include "format/vector_distance.h"

#include <cstring>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace omnigraph::format {

namespace {

// Independent partial sums: a float reduction in one accumulator is a dependency chain the
// compiler may not reorder (no -ffast-math); sixteen of them are a loop it vectorizes.
constexpr uint32_t kLanes = 16;

} // namespace

// Built twice on x86-64: for the baseline (SSE2) and for AVX2 (twice the lanes, and 8-bit codes
// widened in one instruction); the loader picks the one the CPU supports. Neither fuses a
// multiply-add, and both sum the same lanes in the same order: a distance is the same float
// on every machine.
#if defined(__x86_64__) && !defined(__SANITIZE_ADDRESS__)
#define OMNIGRAPH_SIMD_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define OMNIGRAPH_SIMD_CLONES
#endif

OMNIGRAPH_SIMD_CLONES
float squared_l2(const char* stored, const float* query, uint32_t dim) {
    float lane[kLanes] = {};
    uint32_t i = 0;
    for (; i + kLanes <= dim; i += kLanes) {
        float chunk[kLanes];
        std::memcpy(chunk, stored + size_t(i) * sizeof(float), sizeof(chunk));
        for (uint32_t j = 0; j < kLanes; ++j) {
            float d = chunk[j] - query[i + j];
            lane[j] += d * d;
        }
    }
    float sum = 0;
    for (; i < dim; ++i) {
        float x;
        std::memcpy(&x, stored + size_t(i) * sizeof(float), sizeof(float));
        float d = x - query[i];
        sum += d * d;
    }
    for (float x : lane)
        sum += x;
    return sum;
}

namespace {

// The squared decoded distance of dimensions [i, dim): the tail a vectorized loop leaves.
float coded_l2_tail(const uint8_t* code, const float* step, const float* offset, size_t i,
                    uint32_t dim) {
    float sum = 0;
    for (; i < dim; ++i) {
        float d = float(code[i]) * step[i] + offset[i];
        sum += d * d;
    }
    return sum;
}

float coded_l2_portable(const uint8_t* code, const float* step, const float* offset, uint32_t dim) {
    float lane[kLanes] = {};
    size_t i = 0;
    // Pointers per block (not code[i + j] in 32 bits, whose wrap would keep the loop scalar).
    for (; i + kLanes <= dim; i += kLanes) {
        const uint8_t* c = code + i;
        const float* s = step + i;
        const float* o = offset + i;
        for (size_t j = 0; j < kLanes; ++j) {
            float d = float(c[j]) * s[j] + o[j];
            lane[j] += d * d;
        }
    }
    float sum = coded_l2_tail(code, step, offset, i, dim);
    for (float x : lane)
        sum += x;
    return sum;
}

#if defined(__x86_64__)
// Sixteen codes per step: widened to 32 bits, converted, scaled and offset in one fused
// multiply-add, squared and summed in another.
__attribute__((target("avx2,fma"))) float coded_l2_avx2(const uint8_t* code, const float* step,
                                                        const float* offset, uint32_t dim) {
    __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
    size_t i = 0;
    for (; i + 16 <= dim; i += 16) {
        __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(code + i));
        __m256 c0 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes));
        __m256 c1 = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8)));
        __m256 d0 = _mm256_fmadd_ps(c0, _mm256_loadu_ps(step + i), _mm256_loadu_ps(offset + i));
        __m256 d1 =
            _mm256_fmadd_ps(c1, _mm256_loadu_ps(step + i + 8), _mm256_loadu_ps(offset + i + 8));
        acc0 = _mm256_fmadd_ps(d0, d0, acc0);
        acc1 = _mm256_fmadd_ps(d1, d1, acc1);
    }
    alignas(32) float lanes[8];
    _mm256_store_ps(lanes, _mm256_add_ps(acc0, acc1));
    float sum = coded_l2_tail(code, step, offset, i, dim);
    for (float x : lanes)
        sum += x;
    return sum;
}

const bool kHasAvx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif

} // namespace

float coded_l2(const uint8_t* code, const float* step, const float* offset, uint32_t dim) {
#if defined(__x86_64__)
    if (kHasAvx2)
        return coded_l2_avx2(code, step, offset, dim);
#endif
    return coded_l2_portable(code, step, offset, dim);
}

void squared_l2_rows(const char* data, size_t rows, const float* query, uint32_t dim, float* out) {
    size_t width = size_t(dim) * sizeof(float);
    for (size_t r = 0; r < rows; ++r)
        out[r] = squared_l2(data + r * width, query, dim);
}

} // namespace omnigraph::format
