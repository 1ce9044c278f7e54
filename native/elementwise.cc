#include "elementwise.h"

#include <cmath>

// GCC's function multiversioning: one clone per ISA, picked at load time.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define NESTFLOW_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define NESTFLOW_CLONES
#endif

namespace nestflow {

NESTFLOW_CLONES void addInPlace(float* __restrict y, const float* __restrict x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] += x[i];
}

NESTFLOW_CLONES void mulInPlace(float* __restrict y, const float* __restrict x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] *= x[i];
}

NESTFLOW_CLONES void mulTo(float* __restrict out, const float* __restrict a,
                           const float* __restrict b, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) out[i] = a[i] * b[i];
}

NESTFLOW_CLONES void axpy(float* __restrict y, float a, const float* __restrict x, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) y[i] += a * x[i];
}

// Fixed 16-lane partial sums: vectorisable without reassociating, and the
// same order on every call.
NESTFLOW_CLONES float dot(const float* __restrict a, const float* __restrict b, std::size_t n) {
  float acc[16] = {};
  std::size_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int k = 0; k < 16; ++k) acc[k] += a[i + k] * b[i + k];
  for (int k = 0; i < n; ++i, ++k) acc[k] += a[i] * b[i];
  float s = 0;
  for (int k = 0; k < 16; ++k) s += acc[k];
  return s;
}

NESTFLOW_CLONES double sumSquares(const float* __restrict x, std::size_t n) {
  double acc[8] = {};
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8)
    for (int k = 0; k < 8; ++k) acc[k] += static_cast<double>(x[i + k]) * x[i + k];
  for (int k = 0; i < n; ++i, ++k) acc[k] += static_cast<double>(x[i]) * x[i];
  double s = 0;
  for (int k = 0; k < 8; ++k) s += acc[k];
  return s;
}

NESTFLOW_CLONES void columnSums(const float* __restrict m, int rows, int cols,
                                float* __restrict out) {
  for (int j = 0; j < cols; ++j) out[j] = 0.0f;
  for (int i = 0; i < rows; ++i) {
    const float* r = m + static_cast<std::ptrdiff_t>(i) * cols;
    for (int j = 0; j < cols; ++j) out[j] += r[j];
  }
}

NESTFLOW_CLONES void adamUpdate(float* __restrict w, float* __restrict m, float* __restrict v,
                                const float* __restrict g, std::size_t n,
                                const AdamCoefficients& c) {
  const float clip = c.clip, b1 = c.beta1, b2 = c.beta2, step = c.stepSize;
  const float isb = c.invSqrtBc2, eps = c.epsilon, decay = c.decay;
  for (std::size_t i = 0; i < n; ++i) {
    const float gi = g[i] * clip;
    m[i] = b1 * m[i] + (1.0f - b1) * gi;
    v[i] = b2 * v[i] + (1.0f - b2) * gi * gi;
    w[i] = w[i] * decay - step * m[i] / (std::sqrt(v[i]) * isb + eps);
  }
}

}  // namespace nestflow
