// sgemm v2: packed-B panels and a register-blocked micro-kernel chosen once
// at run time: AVX-512 8x32 where the CPU has it, AVX2/FMA 6x16, else a
// portable 6x16 loop. B is packed into NR-column panels [k][NR] (zero padded);
// A is read in place with scalar broadcasts, so a transposed A (weight
// gradients) costs nothing. Rows that do not fill an MR-row tile are copied
// into a zero-padded tile and run through the same kernel, so a row's result
// never depends on m or on the rows around it.
#include "gemm.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>

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

namespace nestflow {
namespace {

constexpr int kKC = 256;     // k block: a packed panel stays in L1
constexpr int kMaxMR = 8;
constexpr int kMaxNR = 32;

// Computes C[MR x NR] (+)= A-tile * panel; c has leading dimension ldc;
// load = false starts from zero (C is only written).
using MicroKernel = void (*)(int kc, const float* a, std::ptrdiff_t ars, std::ptrdiff_t acs,
                             const float* panel, float* c, std::ptrdiff_t ldc, bool load);

struct Kernel {
  const char* name;
  int mr;
  int nr;
  MicroKernel fn;
};

// Portable micro-kernel (6x16): the same summation order over p as the SIMD ones.
void microKernelPortable(int kc, const float* a, std::ptrdiff_t ars, std::ptrdiff_t acs,
                         const float* panel, float* c, std::ptrdiff_t ldc, bool load) {
  constexpr int MR = 6, NR = 16;
  float acc[MR * NR];
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) acc[i * NR + j] = load ? c[i * ldc + j] : 0.0f;
  for (int p = 0; p < kc; ++p) {
    const float* bp = panel + p * NR;
    for (int i = 0; i < MR; ++i) {
      const float ai = a[i * ars + p * acs];
      for (int j = 0; j < NR; ++j) acc[i * NR + j] += ai * bp[j];
    }
  }
  for (int i = 0; i < MR; ++i)
    for (int j = 0; j < NR; ++j) c[i * ldc + j] = acc[i * NR + j];
}

#ifdef NESTFLOW_X86
__attribute__((target("avx2,fma"))) void microKernelAvx2(int kc, const float* a,
                                                         std::ptrdiff_t ars, std::ptrdiff_t acs,
                                                         const float* panel, float* out,
                                                         std::ptrdiff_t ldc, bool load) {
  constexpr int MR = 6, NR = 16;
  __m256 c[MR][2];
  for (int i = 0; i < MR; ++i) {
    c[i][0] = load ? _mm256_loadu_ps(out + i * ldc) : _mm256_setzero_ps();
    c[i][1] = load ? _mm256_loadu_ps(out + i * ldc + 8) : _mm256_setzero_ps();
  }
  for (int p = 0; p < kc; ++p) {
    const __m256 b0 = _mm256_loadu_ps(panel);
    const __m256 b1 = _mm256_loadu_ps(panel + 8);
    panel += NR;
    const float* ap = a + p * acs;
#pragma GCC unroll 6
    for (int i = 0; i < MR; ++i) {
      const __m256 x = _mm256_broadcast_ss(ap + i * ars);
      c[i][0] = _mm256_fmadd_ps(x, b0, c[i][0]);
      c[i][1] = _mm256_fmadd_ps(x, b1, c[i][1]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    _mm256_storeu_ps(out + i * ldc, c[i][0]);
    _mm256_storeu_ps(out + i * ldc + 8, c[i][1]);
  }
}

__attribute__((target("avx512f"))) void microKernelAvx512(int kc, const float* a,
                                                          std::ptrdiff_t ars, std::ptrdiff_t acs,
                                                          const float* panel, float* out,
                                                          std::ptrdiff_t ldc, bool load) {
  constexpr int MR = 8, NR = 32;
  __m512 c[MR][2];
  for (int i = 0; i < MR; ++i) {
    c[i][0] = load ? _mm512_loadu_ps(out + i * ldc) : _mm512_setzero_ps();
    c[i][1] = load ? _mm512_loadu_ps(out + i * ldc + 16) : _mm512_setzero_ps();
  }
  for (int p = 0; p < kc; ++p) {
    const __m512 b0 = _mm512_loadu_ps(panel);
    const __m512 b1 = _mm512_loadu_ps(panel + 16);
    panel += NR;
    const float* ap = a + p * acs;
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 x = _mm512_set1_ps(ap[i * ars]);
      c[i][0] = _mm512_fmadd_ps(x, b0, c[i][0]);
      c[i][1] = _mm512_fmadd_ps(x, b1, c[i][1]);
    }
  }
  for (int i = 0; i < MR; ++i) {
    _mm512_storeu_ps(out + i * ldc, c[i][0]);
    _mm512_storeu_ps(out + i * ldc + 16, c[i][1]);
  }
}
#endif

const Kernel kPortable{"portable-6x16", 6, 16, microKernelPortable};
#ifdef NESTFLOW_X86
const Kernel kAvx2{"avx2-fma-6x16", 6, 16, microKernelAvx2};
const Kernel kAvx512{"avx512-8x32", 8, 32, microKernelAvx512};
#endif

struct CpuFeatures {
  bool avx2Fma = false;
  bool avx512f = false;
};

CpuFeatures detectFeatures() {
  CpuFeatures f;
#ifdef NESTFLOW_X86
  __builtin_cpu_init();
  f.avx2Fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  f.avx512f = f.avx2Fma && __builtin_cpu_supports("avx512f");
#endif
  return f;
}

const CpuFeatures kCpu = detectFeatures();

// NESTFLOW_KERNEL=portable|avx2|avx512 caps the choice (benchmarks, debugging).
const Kernel& detectKernel() {
  const char* env = std::getenv("NESTFLOW_KERNEL");
  const std::string cap = env ? env : "";
#ifdef NESTFLOW_X86
  if (cap != "portable" && cap != "avx2" && kCpu.avx512f) return kAvx512;
  if (cap != "portable" && kCpu.avx2Fma) return kAvx2;
#endif
  return kPortable;
}

const Kernel& kBest = detectKernel();

const Kernel& kernelFor(GemmImpl impl) {
  switch (impl) {
    case GemmImpl::Portable:
      return kPortable;
#ifdef NESTFLOW_X86
    case GemmImpl::Avx2:
      return kCpu.avx2Fma ? kAvx2 : kPortable;
#endif
    default:
      return kBest;
  }
}

// Packs B[p0 : p0+kc, 0 : n] into ceil(n/nr) panels of [kc][nr].
void packBlock(int n, int kc, int p0, int nr, MatView b, float* out) {
  const int panels = (n + nr - 1) / nr;
  for (int jp = 0; jp < panels; ++jp) {
    const int j0 = jp * nr;
    const int w = std::min(nr, n - j0);
    float* panel = out + static_cast<std::ptrdiff_t>(jp) * kc * nr;
    for (int p = 0; p < kc; ++p) {
      const float* src = b.data + (p0 + p) * b.rs + j0 * b.cs;
      float* dst = panel + p * nr;
      int j = 0;
      if (b.cs == 1) {
        std::memcpy(dst, src, sizeof(float) * w);
        j = w;
      }
      for (; j < w; ++j) dst[j] = src[j * b.cs];
      for (; j < nr; ++j) dst[j] = 0.0f;
    }
  }
}

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

#ifdef NESTFLOW_X86
__attribute__((target("avx512f"))) float fmaLoopAvx512(long iters) {
  __m512 acc[16];
  for (int i = 0; i < 16; ++i) acc[i] = _mm512_set1_ps(0.001f * i);
  const __m512 x = _mm512_set1_ps(0.9999f), y = _mm512_set1_ps(1e-5f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; ++i) acc[i] = _mm512_fmadd_ps(acc[i], x, y);
  }
  __m512 s = acc[0];
  for (int i = 1; i < 16; ++i) s = _mm512_add_ps(s, acc[i]);
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) float fmaLoopAvx2(long iters) {
  __m256 acc[12];
  for (int i = 0; i < 12; ++i) acc[i] = _mm256_set1_ps(0.001f * i);
  const __m256 x = _mm256_set1_ps(0.9999f), y = _mm256_set1_ps(1e-5f);
  for (long it = 0; it < iters; ++it) {
#pragma GCC unroll 12
    for (int i = 0; i < 12; ++i) acc[i] = _mm256_fmadd_ps(acc[i], x, y);
  }
  float out[8];
  __m256 s = acc[0];
  for (int i = 1; i < 12; ++i) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(out, s);
  return out[0];
}
#endif

double fmaPeakLoop(long iters, float* sink) {
#ifdef NESTFLOW_X86
  if (kBest.fn == microKernelAvx512) {
    *sink += fmaLoopAvx512(iters);
    return 16.0 * 32.0 * static_cast<double>(iters);
  }
  if (kBest.fn == microKernelAvx2) {
    *sink += fmaLoopAvx2(iters);
    return 12.0 * 16.0 * static_cast<double>(iters);
  }
#endif
  float acc = 0;
  for (long it = 0; it < iters; ++it) acc = acc * 0.9999f + 1e-5f;
  *sink += acc;
  return 2.0 * static_cast<double>(iters);
}

const char* gemmKernelName(GemmImpl impl) { return kernelFor(impl).name; }
bool cpuHasAvx2Fma() { return kCpu.avx2Fma; }
bool cpuHasAvx512() {
#ifdef NESTFLOW_X86
  return kBest.fn == microKernelAvx512;
#else
  return false;
#endif
}

void packB(int k, int n, MatView b, PackedB& out, GemmImpl impl) {
  const Kernel& kern = kernelFor(impl);
  out.k = k;
  out.n = n;
  out.kernel = &kern;
  out.nr = kern.nr;
  out.panels = (n + kern.nr - 1) / kern.nr;
  std::size_t total = 0;
  for (int p0 = 0; p0 < k; p0 += kKC)
    total += static_cast<std::size_t>(out.panels) * std::min(kKC, k - p0) * kern.nr;
  out.data.resize(std::max<std::size_t>(total, 1));
  std::size_t off = 0;
  for (int p0 = 0; p0 < k; p0 += kKC) {
    const int kc = std::min(kKC, k - p0);
    packBlock(n, kc, p0, kern.nr, b, out.data.data() + off);
    off += static_cast<std::size_t>(out.panels) * kc * kern.nr;
  }
}

void sgemmPacked(int m, const PackedB& b, MatView a, float* c, int ldc, bool accumulate,
                 GemmScratch& scratch) {
  const int n = b.n, k = b.k, panels = b.panels;
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int i = 0; i < m; ++i) std::fill(c + i * ldc, c + i * ldc + n, 0.0f);
    return;
  }
  // The kernel B was packed for.
  const Kernel& use = *static_cast<const Kernel*>(b.kernel);
  const int MR = use.mr, NR = use.nr;
  if (scratch.tileA.size() < static_cast<std::size_t>(kMaxMR) * kKC) scratch.tileA.resize(kMaxMR * kKC);
  alignas(64) float acc[kMaxMR * kMaxNR];

  auto runTile = [&](int i0, int rows, const float* aBlock, std::ptrdiff_t ars,
                     std::ptrdiff_t acs, const float* panel, int j0, int kc, bool first) {
    const int w = std::min(NR, n - j0);
    const bool load = !(first && !accumulate);
    if (rows == MR && w == NR) {
      // Full tile: the kernel reads and writes C in place.
      use.fn(kc, aBlock, ars, acs, panel, c + i0 * ldc + j0, ldc, load);
      return;
    }
    // Edge tile: through a zero-padded buffer.
    for (int i = 0; i < MR; ++i)
      for (int j = 0; j < NR; ++j)
        acc[i * NR + j] = (load && i < rows && j < w) ? c[(i0 + i) * ldc + j0 + j] : 0.0f;
    use.fn(kc, aBlock, ars, acs, panel, acc, NR, true);
    for (int i = 0; i < rows; ++i)
      std::memcpy(c + (i0 + i) * ldc + j0, acc + i * NR, sizeof(float) * w);
  };

  const int fullRows = (m / MR) * MR;
  const float* block = b.data.data();
  for (int p0 = 0; p0 < k; p0 += kKC) {
    const int kc = std::min(kKC, k - p0);
    const bool first = p0 == 0;
    // Panel outer: one panel stays in L1 while the rows stream past it.
    for (int jp = 0; jp < panels; ++jp) {
      const float* panel = block + static_cast<std::ptrdiff_t>(jp) * kc * NR;
      for (int i0 = 0; i0 < fullRows; i0 += MR)
        runTile(i0, MR, a.data + i0 * a.rs + p0 * a.cs, a.rs, a.cs, panel, jp * NR, kc, first);
    }
    if (fullRows < m) {
      // Pad the last rows into a tile: same kernel, same summation order.
      const int rows = m - fullRows;
      const float* src = a.data + fullRows * a.rs + p0 * a.cs;
      float* t = scratch.tileA.data();
      for (int i = 0; i < MR; ++i)
        for (int p = 0; p < kc; ++p) t[i * kc + p] = i < rows ? src[i * a.rs + p * a.cs] : 0.0f;
      for (int jp = 0; jp < panels; ++jp)
        runTile(fullRows, rows, t, kc, 1, block + static_cast<std::ptrdiff_t>(jp) * kc * NR,
                jp * NR, kc, first);
    }
    block += static_cast<std::ptrdiff_t>(panels) * kc * NR;
  }
}

void sgemm(int m, int n, int k, MatView a, MatView b, float* c, int ldc, bool accumulate,
           GemmScratch& scratch, GemmImpl impl) {
  if (impl == GemmImpl::Reference) {
    sgemmNaive(m, n, k, a, b, c, ldc, accumulate);
    return;
  }
  packB(k, n, b, scratch.packed, impl);
  sgemmPacked(m, scratch.packed, a, c, ldc, accumulate, scratch);
}

}  // namespace nestflow
