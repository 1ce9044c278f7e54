// SiLU via a vectorised exp: range reduction e^x = 2^k e^r, |r| <= ln2/2,
// degree-6 Taylor/Horner polynomial for e^r (relative error ~2e-7, float's own).
// AVX-512 where the GEMM uses it, else AVX2/FMA, else scalar.
#include "vecmath.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
// GCC 12's AVX-512 headers trip -Wuninitialized on _mm512_undefined_ps (a
// known false positive); silence it for the header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#pragma GCC diagnostic pop
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

// AVX-512: 2^k by scalef, 1/(1 + e^-x) by rcp14 and one Newton step (~1 ulp).
__attribute__((target("avx512f"))) inline __m512 sigmoidAvx512(__m512 x) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 nx = _mm512_min_ps(_mm512_max_ps(_mm512_sub_ps(_mm512_setzero_ps(), x), _mm512_set1_ps(-87.0f)),
                            _mm512_set1_ps(87.0f));
  const __m512 k = _mm512_roundscale_ps(_mm512_mul_ps(nx, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(k, _mm512_set1_ps(0.693359375f), nx);
  r = _mm512_fnmadd_ps(k, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.0f / 720.0f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 120.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 24.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.0f / 6.0f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(0.5f));
  p = _mm512_fmadd_ps(p, r, one);
  p = _mm512_fmadd_ps(p, r, one);
  const __m512 e = _mm512_scalef_ps(p, k);
  const __m512 den = _mm512_add_ps(one, e);
  __m512 s = _mm512_rcp14_ps(den);
  s = _mm512_mul_ps(s, _mm512_fnmadd_ps(den, s, _mm512_set1_ps(2.0f)));
  return s;
}

__attribute__((target("avx512f"))) void siluForwardAvx512(const float* pre, float* act,
                                                          float* deriv, int n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  int i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512 x = _mm512_loadu_ps(pre + i);
    const __m512 s = sigmoidAvx512(x);
    if (deriv) _mm512_storeu_ps(deriv + i, _mm512_mul_ps(s, _mm512_fmadd_ps(x, _mm512_sub_ps(one, s), one)));
    _mm512_storeu_ps(act + i, _mm512_mul_ps(x, s));
  }
  if (i < n) siluForwardAvx2(pre + i, act + i, deriv ? deriv + i : nullptr, n - i);
}


// log(u) for u in (0, 1]: u = m 2^e with m in [0.75, 1.5), log m = 2 atanh(s),
// s = (m - 1)/(m + 1), |s| <= 0.2, odd series to s^9 (error ~2e-9).
__attribute__((target("avx512f"))) inline __m512 logAvx512(__m512 u) {
  const __m512 one = _mm512_set1_ps(1.0f);
  __m512 m = _mm512_getmant_ps(u, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_src);  // u = m 2^e, m in [1, 2)
  __m512 e = _mm512_getexp_ps(u);
  const __mmask16 high = _mm512_cmp_ps_mask(m, _mm512_set1_ps(1.5f), _CMP_GE_OQ);
  m = _mm512_mask_mul_ps(m, high, m, _mm512_set1_ps(0.5f));
  e = _mm512_mask_add_ps(e, high, e, one);
  const __m512 s = _mm512_div_ps(_mm512_sub_ps(m, one), _mm512_add_ps(m, one));
  const __m512 s2 = _mm512_mul_ps(s, s);
  __m512 p = _mm512_set1_ps(1.0f / 9.0f);
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(1.0f / 7.0f));
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(1.0f / 5.0f));
  p = _mm512_fmadd_ps(p, s2, _mm512_set1_ps(1.0f / 3.0f));
  p = _mm512_fmadd_ps(p, s2, one);
  const __m512 logm = _mm512_mul_ps(_mm512_mul_ps(_mm512_set1_ps(2.0f), s), p);
  return _mm512_fmadd_ps(e, _mm512_set1_ps(0.693147180559945f), logm);
}

// cos and sin of 2π v, v in [0, 1): quadrant q = round(4v), φ = (4v - q) π/2
// in [-π/4, π/4], Taylor series to φ^9 / φ^8 (error < 1e-8), then rotate.
__attribute__((target("avx512f"))) inline void sincos2piAvx512(__m512 v, __m512& c, __m512& s) {
  const __m512 v4 = _mm512_mul_ps(v, _mm512_set1_ps(4.0f));
  const __m512 q = _mm512_roundscale_ps(v4, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const __m512 phi = _mm512_mul_ps(_mm512_sub_ps(v4, q), _mm512_set1_ps(1.57079632679489662f));
  const __m512 p2 = _mm512_mul_ps(phi, phi);
  __m512 sp = _mm512_set1_ps(1.0f / 362880.0f);
  sp = _mm512_fmadd_ps(sp, p2, _mm512_set1_ps(-1.0f / 5040.0f));
  sp = _mm512_fmadd_ps(sp, p2, _mm512_set1_ps(1.0f / 120.0f));
  sp = _mm512_fmadd_ps(sp, p2, _mm512_set1_ps(-1.0f / 6.0f));
  sp = _mm512_fmadd_ps(sp, p2, _mm512_set1_ps(1.0f));
  sp = _mm512_mul_ps(sp, phi);
  __m512 cp = _mm512_set1_ps(1.0f / 40320.0f);
  cp = _mm512_fmadd_ps(cp, p2, _mm512_set1_ps(-1.0f / 720.0f));
  cp = _mm512_fmadd_ps(cp, p2, _mm512_set1_ps(1.0f / 24.0f));
  cp = _mm512_fmadd_ps(cp, p2, _mm512_set1_ps(-0.5f));
  cp = _mm512_fmadd_ps(cp, p2, _mm512_set1_ps(1.0f));
  const __m512i qi = _mm512_and_si512(_mm512_cvtps_epi32(q), _mm512_set1_epi32(3));
  // q = 1: (-s, c); q = 2: (-c, -s); q = 3: (s, -c)
  const __mmask16 swap = _mm512_test_epi32_mask(qi, _mm512_set1_epi32(1));
  const __mmask16 negC = _mm512_cmpeq_epi32_mask(qi, _mm512_set1_epi32(1)) |
                         _mm512_cmpeq_epi32_mask(qi, _mm512_set1_epi32(2));
  const __mmask16 negS = _mm512_cmpeq_epi32_mask(qi, _mm512_set1_epi32(2)) |
                         _mm512_cmpeq_epi32_mask(qi, _mm512_set1_epi32(3));
  __m512 cc = _mm512_mask_blend_ps(swap, cp, sp);
  __m512 ss = _mm512_mask_blend_ps(swap, sp, cp);
  const __m512 zero = _mm512_setzero_ps();
  c = _mm512_mask_sub_ps(cc, negC, zero, cc);
  s = _mm512_mask_sub_ps(ss, negS, zero, ss);
}

__attribute__((target("avx512f"))) void normalBlockAvx512(const float* u1, const float* u2, float* out) {
  const __m512 r = _mm512_sqrt_ps(_mm512_mul_ps(_mm512_set1_ps(-2.0f), logAvx512(_mm512_loadu_ps(u1))));
  __m512 c, s;
  sincos2piAvx512(_mm512_loadu_ps(u2), c, s);
  _mm512_storeu_ps(out, _mm512_mul_ps(r, c));
  _mm512_storeu_ps(out + 16, _mm512_mul_ps(r, s));
}
#endif

void normalBlockScalar(const float* u1, const float* u2, float* out) {
  for (int i = 0; i < 16; ++i) {
    const float r = std::sqrt(-2.0f * std::log(u1[i]));
    const float a = 6.28318530717958648f * u2[i];
    out[i] = r * std::cos(a);
    out[i + 16] = r * std::sin(a);
  }
}

}  // namespace

void fillNormals(Rng& rng, float* out, int n) {
  float u1[16], u2[16], block[32];
  for (int i0 = 0; i0 < n; i0 += 32) {
    for (int i = 0; i < 16; ++i) {
      const std::uint64_t bits = rng.next();
      // Two 24-bit uniforms per draw; u1 in (0, 1] so its log is finite.
      u1[i] = static_cast<float>((bits >> 40) + 1) * 0x1.0p-24f;
      u2[i] = static_cast<float>((bits >> 16) & 0xFFFFFF) * 0x1.0p-24f;
    }
    const int w = std::min(32, n - i0);
    float* dst = w == 32 ? out + i0 : block;
#ifdef NESTFLOW_X86
    if (cpuHasAvx512())
      normalBlockAvx512(u1, u2, dst);
    else
#endif
      normalBlockScalar(u1, u2, dst);
    if (w < 32) std::memcpy(out + i0, block, sizeof(float) * w);
  }
}

void siluForward(const float* pre, float* act, float* deriv, int n) {
#ifdef NESTFLOW_X86
  if (cpuHasAvx512()) return siluForwardAvx512(pre, act, deriv, n);
  if (cpuHasAvx2Fma()) return siluForwardAvx2(pre, act, deriv, n);
#endif
  for (int i = 0; i < n; ++i) {
    const float x = pre[i];
    const float s = sigmoidScalar(x);
    if (deriv) deriv[i] = s * (1.0f + x * (1.0f - s));
    act[i] = x * s;
  }
}

}  // namespace nestflow
