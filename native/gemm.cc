// sgemm v1: packed-B, 6x16 register-blocked AVX2/FMA micro-kernel.
// B is packed into 16-column panels [k][16] (zero padded), A is read in place
// with scalar broadcasts, so transposed A (weight gradients) costs nothing.
// Rows that do not fill a 6-row tile are copied into a zero-padded tile and
// run through the same kernel, keeping results bitwise independent of m.
#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define NESTFLOW_X86 1
#endif

namespace nestflow {
namespace {

constexpr int kMR = 6;
constexpr int kNR = 16;
constexpr int kKC = 256;  // k block: one packed panel (kKC x 16 floats) stays in L1

// Packs B[p0 : p0+kc, 0 : n] into ceil(n/16) panels of [kc][16].
void packB(int n, int kc, int p0, MatView b, float* out) {
  const int panels = (n + kNR - 1) / kNR;
  for (int jp = 0; jp < panels; ++jp) {
    const int j0 = jp * kNR;
    const int w = std::min(kNR, n - j0);
    float* panel = out + static_cast<std::ptrdiff_t>(jp) * kc * kNR;
    for (int p = 0; p < kc; ++p) {
      const float* src = b.data + (p0 + p) * b.rs + j0 * b.cs;
      float* dst = panel + p * kNR;
      int j = 0;
      if (b.cs == 1) {
        std::memcpy(dst, src, sizeof(float) * w);
        j = w;
      }
      for (; j < w; ++j) dst[j] = src[j * b.cs];
      for (; j < kNR; ++j) dst[j] = 0.0f;
    }
  }
}

// Portable micro-kernel: same summation order over p as the AVX2 one.
void microKernelRef(int kc, const float* a, std::ptrdiff_t ars, std::ptrdiff_t acs,
                    const float* panel, float* acc /* [6][16] */) {
  for (int p = 0; p < kc; ++p) {
    const float* bp = panel + p * kNR;
    for (int i = 0; i < kMR; ++i) {
      const float ai = a[i * ars + p * acs];
      for (int j = 0; j < kNR; ++j) acc[i * kNR + j] += ai * bp[j];
    }
  }
}

#ifdef NESTFLOW_X86
__attribute__((target("avx2,fma"))) void microKernelAvx2(int kc, const float* a,
                                                         std::ptrdiff_t ars, std::ptrdiff_t acs,
                                                         const float* panel, float* acc) {
  __m256 c00 = _mm256_loadu_ps(acc + 0), c01 = _mm256_loadu_ps(acc + 8);
  __m256 c10 = _mm256_loadu_ps(acc + 16), c11 = _mm256_loadu_ps(acc + 24);
  __m256 c20 = _mm256_loadu_ps(acc + 32), c21 = _mm256_loadu_ps(acc + 40);
  __m256 c30 = _mm256_loadu_ps(acc + 48), c31 = _mm256_loadu_ps(acc + 56);
  __m256 c40 = _mm256_loadu_ps(acc + 64), c41 = _mm256_loadu_ps(acc + 72);
  __m256 c50 = _mm256_loadu_ps(acc + 80), c51 = _mm256_loadu_ps(acc + 88);
  const float* a0 = a;
  const float* a1 = a + ars;
  const float* a2 = a + 2 * ars;
  const float* a3 = a + 3 * ars;
  const float* a4 = a + 4 * ars;
  const float* a5 = a + 5 * ars;
  for (int p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(panel);
    const __m256 b1 = _mm256_loadu_ps(panel + 8);
    panel += kNR;
    const std::ptrdiff_t off = p * acs;
    __m256 x = _mm256_broadcast_ss(a0 + off);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a1 + off);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a2 + off);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a3 + off);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a4 + off);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a5 + off);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  _mm256_storeu_ps(acc + 0, c00); _mm256_storeu_ps(acc + 8, c01);
  _mm256_storeu_ps(acc + 16, c10); _mm256_storeu_ps(acc + 24, c11);
  _mm256_storeu_ps(acc + 32, c20); _mm256_storeu_ps(acc + 40, c21);
  _mm256_storeu_ps(acc + 48, c30); _mm256_storeu_ps(acc + 56, c31);
  _mm256_storeu_ps(acc + 64, c40); _mm256_storeu_ps(acc + 72, c41);
  _mm256_storeu_ps(acc + 80, c50); _mm256_storeu_ps(acc + 88, c51);
}
#endif

bool detectAvx2() {
#ifdef NESTFLOW_X86
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
  return false;
#endif
}

const bool kHasAvx2 = detectAvx2();

using MicroKernel = void (*)(int, const float*, std::ptrdiff_t, std::ptrdiff_t, const float*,
                             float*);

// Straight triple loop, double accumulation: the reference the kernels are tested against.
void sgemmNaive(int m, int n, int k, MatView a, MatView b, float* c, int ldc, bool accumulate) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double s = accumulate ? c[i * ldc + j] : 0.0;
      for (int p = 0; p < k; ++p)
        s += static_cast<double>(a.data[i * a.rs + p * a.cs]) * b.data[p * b.rs + j * b.cs];
      c[i * ldc + j] = static_cast<float>(s);
    }
}

}  // namespace

bool gemmHasAvx2() { return kHasAvx2; }
const char* gemmKernelName() { return kHasAvx2 ? "avx2-fma-6x16" : "portable-6x16"; }

void packB(int k, int n, MatView b, PackedB& out) {
  out.k = k;
  out.n = n;
  out.panels = (n + kNR - 1) / kNR;
  std::size_t total = 0;
  for (int p0 = 0; p0 < k; p0 += kKC) total += static_cast<std::size_t>(out.panels) * std::min(kKC, k - p0) * kNR;
  out.data.resize(std::max<std::size_t>(total, 1));
  std::size_t off = 0;
  for (int p0 = 0; p0 < k; p0 += kKC) {
    const int kc = std::min(kKC, k - p0);
    packB(n, kc, p0, b, out.data.data() + off);
    off += static_cast<std::size_t>(out.panels) * kc * kNR;
  }
}

void sgemmPacked(int m, const PackedB& b, MatView a, float* c, int ldc, bool accumulate,
                 GemmScratch& scratch, GemmImpl impl) {
  const int n = b.n, k = b.k, panels = b.panels;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return;
  }
  MicroKernel kernel = microKernelRef;
#ifdef NESTFLOW_X86
  if (kHasAvx2 && impl != GemmImpl::Portable) kernel = microKernelAvx2;
#else
  (void)impl;
#endif
  if (scratch.tileA.size() < static_cast<std::size_t>(kMR) * kKC) scratch.tileA.resize(kMR * kKC);
  alignas(32) float acc[kMR * kNR];

  auto runTile = [&](int i0, int rows, const float* aBlock, std::ptrdiff_t ars,
                     std::ptrdiff_t acs, const float* panel, int j0, int kc, bool first) {
    const int w = std::min(kNR, n - j0);
    if (first && !accumulate) {
      std::memset(acc, 0, sizeof(acc));
    } else {
      for (int i = 0; i < kMR; ++i)
        for (int j = 0; j < kNR; ++j)
          acc[i * kNR + j] = (i < rows && j < w) ? c[(i0 + i) * ldc + j0 + j] : 0.0f;
    }
    kernel(kc, aBlock, ars, acs, panel, acc);
    for (int i = 0; i < rows; ++i)
      std::memcpy(c + (i0 + i) * ldc + j0, acc + i * kNR, sizeof(float) * w);
  };

  const int fullRows = (m / kMR) * kMR;
  const float* block = b.data.data();
  for (int p0 = 0; p0 < k; p0 += kKC) {
    const int kc = std::min(kKC, k - p0);
    const bool first = p0 == 0;
    // Panel outer: one 16-column panel stays in L1 while the rows stream past it.
    for (int jp = 0; jp < panels; ++jp) {
      const float* panel = block + static_cast<std::ptrdiff_t>(jp) * kc * kNR;
      for (int i0 = 0; i0 < fullRows; i0 += kMR)
        runTile(i0, kMR, a.data + i0 * a.rs + p0 * a.cs, a.rs, a.cs, panel, jp * kNR, kc, first);
    }
    if (fullRows < m) {
      // Pad the last rows into a tile: same kernel, same summation order.
      const int rows = m - fullRows;
      const float* src = a.data + fullRows * a.rs + p0 * a.cs;
      float* t = scratch.tileA.data();
      for (int i = 0; i < kMR; ++i)
        for (int p = 0; p < kc; ++p) t[i * kc + p] = i < rows ? src[i * a.rs + p * a.cs] : 0.0f;
      for (int jp = 0; jp < panels; ++jp)
        runTile(fullRows, rows, t, kc, 1, block + static_cast<std::ptrdiff_t>(jp) * kc * kNR,
                jp * kNR, kc, first);
    }
    block += static_cast<std::ptrdiff_t>(panels) * kc * kNR;
  }
}

void sgemm(int m, int n, int k, MatView a, MatView b, float* c, int ldc, bool accumulate,
           GemmScratch& scratch, GemmImpl impl) {
  if (impl == GemmImpl::Reference) {
    sgemmNaive(m, n, k, a, b, c, ldc, accumulate);
    return;
  }
  packB(k, n, b, scratch.packed);
  sgemmPacked(m, scratch.packed, a, c, ldc, accumulate, scratch, impl);
}

}  // namespace nestflow
