// SiLU via a vectorised exp: range reduction e^x = 2^k e^r, |r| <= ln2/2,
// degree-6 Taylor/Horner polynomial for e^r (relative error ~2e-7, float's own).
#include "vecmath.h"

#include <cmath>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define NESTFLOW_X86 1
#endif

#include "gemm.h"

namespace nestflow {
namespace {

inline float sigmoidScalar(float x) { return 1.0f / (1.0f + std::exp(-x)); }

#ifdef NESTFLOW_X86
__attribute__((target("avx2,fma"))) inline __m256 expAvx2(__m256 x) {
  // Clamp so 2^k stays a normal float; sigmoid saturates long before.
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.0f)), _mm256_set1_ps(87.0f));
  const __m256 log2e = _mm256_set1_ps(1.44269504088896341f);
  const __m256 k = _mm256_round_ps(_mm256_mul_ps(x, log2e), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  // r = x - k ln2 in two parts for accuracy.
  __m256 r = _mm256_fnmadd_ps(k, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(k, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.0f / 720.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256i bits = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(p, _mm256_castsi256_ps(bits));
}

__attribute__((target("avx2,fma"))) void siluForwardAvx2(const float* pre, float* act,
                                                         float* deriv, int n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(pre + i);
    const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, expAvx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    if (deriv) {
      // σ (1 + x (1 − σ))
      const __m256 d = _mm256_mul_ps(s, _mm256_fmadd_ps(x, _mm256_sub_ps(one, s), one));
      _mm256_storeu_ps(deriv + i, d);
    }
    _mm256_storeu_ps(act + i, _mm256_mul_ps(x, s));
  }
  for (; i < n; ++i) {
    const float x = pre[i];
    const float s = sigmoidScalar(x);
    if (deriv) deriv[i] = s * (1.0f + x * (1.0f - s));
    act[i] = x * s;
  }
}

__attribute__((target("avx2,fma"))) void siluBackwardAvx2(const float* pre, float* grad, int n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 x = _mm256_loadu_ps(pre + i);
    const __m256 s = _mm256_div_ps(one, _mm256_add_ps(one, expAvx2(_mm256_sub_ps(_mm256_setzero_ps(), x))));
    const __m256 d = _mm256_mul_ps(s, _mm256_fmadd_ps(x, _mm256_sub_ps(one, s), one));
    _mm256_storeu_ps(grad + i, _mm256_mul_ps(_mm256_loadu_ps(grad + i), d));
  }
  for (; i < n; ++i) {
    const float x = pre[i];
    const float s = sigmoidScalar(x);
    grad[i] *= s * (1.0f + x * (1.0f - s));
  }
}
#endif

}  // namespace

void siluForward(const float* pre, float* act, float* deriv, int n) {
#ifdef NESTFLOW_X86
  if (gemmHasAvx2()) return siluForwardAvx2(pre, act, deriv, n);
#endif
  for (int i = 0; i < n; ++i) {
    const float x = pre[i];
    const float s = sigmoidScalar(x);
    if (deriv) deriv[i] = s * (1.0f + x * (1.0f - s));
    act[i] = x * s;
  }
}

void siluBackward(const float* pre, float* grad, int n) {
#ifdef NESTFLOW_X86
  if (gemmHasAvx2()) return siluBackwardAvx2(pre, grad, n);
#endif
  for (int i = 0; i < n; ++i) {
    const float x = pre[i];
    const float s = sigmoidScalar(x);
    grad[i] *= s * (1.0f + x * (1.0f - s));
  }
}

}  // namespace nestflow
