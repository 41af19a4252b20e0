#include "format/vector_distance.h"

#include <cstring>

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

OMNIGRAPH_SIMD_CLONES
float coded_l2(const uint8_t* code, const float* target, const float* weight, uint32_t dim) {
    float lane[kLanes] = {};
    size_t i = 0;
    // Pointers per block (not code[i + j] in 32 bits, whose wrap would keep the loop scalar).
    for (; i + kLanes <= dim; i += kLanes) {
        const uint8_t* c = code + i;
        const float* t = target + i;
        const float* w = weight + i;
        for (size_t j = 0; j < kLanes; ++j) {
            float d = float(c[j]) - t[j];
            lane[j] += w[j] * d * d;
        }
    }
    float sum = 0;
    for (; i < dim; ++i) {
        float d = float(code[i]) - target[i];
        sum += weight[i] * d * d;
    }
    for (float x : lane)
        sum += x;
    return sum;
}

void squared_l2_rows(const char* data, size_t rows, const float* query, uint32_t dim, float* out) {
    size_t width = size_t(dim) * sizeof(float);
    for (size_t r = 0; r < rows; ++r)
        out[r] = squared_l2(data + r * width, query, dim);
}

} // namespace omnigraph::format
