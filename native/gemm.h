// Single-precision matrix products for the small MLPs of the flow.
// All matrices are addressed through (row stride, column stride) so that
// transposed operands need no copy: X(i, j) = x[i * rs + j * cs].
#pragma once
#include <cstddef>
#include <vector>

namespace nestflow {

struct MatView {
  const float* data;
  std::ptrdiff_t rs;  // row stride, in floats
  std::ptrdiff_t cs;  // column stride, in floats
};

// Scratch reused across calls so the hot loops never allocate.
// B packed once into 16-column panels per k block; reused by many products
// (weights are packed once per training step or sampling call).
struct PackedB {
  int k = 0;
  int n = 0;
  int nr = 0;                      // panel width of the kernel it was packed for
  const void* kernel = nullptr;    // that kernel (internal to gemm.cc)
  int panels = 0;
  std::vector<float> data;
};

struct GemmScratch {
  PackedB packed;
  std::vector<float> tileA;
};

// Auto: the best kernel this CPU runs (AVX-512, else AVX2/FMA, else portable;
// NESTFLOW_KERNEL=avx2|portable caps it); Avx2 and Portable force one (tests);
// Reference: naive triple loop with double accumulation (tests only).
enum class GemmImpl { Auto, Avx2, Portable, Reference };

void packB(int k, int n, MatView b, PackedB& out, GemmImpl impl = GemmImpl::Auto);

// C[m x n] (+)= A[m x k] * B, with B already packed (by the kernel it was packed for).
void sgemmPacked(int m, const PackedB& b, MatView a, float* c, int ldc, bool accumulate,
                 GemmScratch& scratch);

// C[m x n] (row-major, leading dimension ldc) = A[m x k] * B[k x n] (+ C when
// accumulate). Deterministic: every C element sums over k in the same order
// whatever m and the row blocking, so a row's result never depends on which
// other rows share the call.
void sgemm(int m, int n, int k, MatView a, MatView b, float* c, int ldc,
           bool accumulate, GemmScratch& scratch, GemmImpl impl = GemmImpl::Auto);


// Register-only FMA loop in the widest ISA the GEMM uses: the machine's
// practical FP32 peak for benchmarks. Returns the flops done.
double fmaPeakLoop(long iters, float* sink);
bool cpuHasAvx2Fma();
// True when the AVX-512 kernels are in use (the CPU has them and NESTFLOW_KERNEL does not cap).
bool cpuHasAvx512();
const char* gemmKernelName(GemmImpl impl = GemmImpl::Auto);

}  // namespace nestflow
