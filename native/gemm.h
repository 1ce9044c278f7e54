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
  int panels = 0;
  std::vector<float> data;
};

struct GemmScratch {
  PackedB packed;
  std::vector<float> tileA;
};

// Auto: AVX2/FMA when the CPU has it; Portable: the plain C++ micro-kernel;
// Reference: naive triple loop with double accumulation (for tests only).
enum class GemmImpl { Auto, Portable, Reference };

void packB(int k, int n, MatView b, PackedB& out);

// C[m x n] (+)= A[m x k] * B, with B already packed.
void sgemmPacked(int m, const PackedB& b, MatView a, float* c, int ldc, bool accumulate,
                 GemmScratch& scratch, GemmImpl impl = GemmImpl::Auto);

// C[m x n] (row-major, leading dimension ldc) = A[m x k] * B[k x n] (+ C when
// accumulate). Deterministic: every C element sums over k in the same order
// whatever m and the row blocking, so a row's result never depends on which
// other rows share the call.
void sgemm(int m, int n, int k, MatView a, MatView b, float* c, int ldc,
           bool accumulate, GemmScratch& scratch, GemmImpl impl = GemmImpl::Auto);

// True when the CPU runs the AVX2/FMA path (decided once, at run time).
bool gemmHasAvx2();
const char* gemmKernelName();

}  // namespace nestflow
