// Elementwise and small reduction loops of the training and ODE passes,
// written plainly and compiled per ISA (AVX-512, AVX2, baseline) with
// run-time dispatch, so one build runs on any x86-64 and uses the CPU it finds.
#pragma once
#include <cstddef>

namespace nestflow {

void addInPlace(float* y, const float* x, std::size_t n);                  // y += x
void mulInPlace(float* y, const float* x, std::size_t n);                  // y *= x
void mulTo(float* out, const float* a, const float* b, std::size_t n);     // out = a * b
void axpy(float* y, float a, const float* x, std::size_t n);               // y += a x
float dot(const float* a, const float* b, std::size_t n);                  // Σ a b (16 partial sums)
double sumSquares(const float* x, std::size_t n);                          // Σ x², in double
void columnSums(const float* m, int rows, int cols, float* out);          // out[j] = Σ_i m[i][j]

struct AdamCoefficients {
  float clip, beta1, beta2, stepSize, invSqrtBc2, epsilon, decay;
};
// One AdamW step on n parameters (gradient scaled by clip).
void adamUpdate(float* w, float* m, float* v, const float* g, std::size_t n,
                const AdamCoefficients& c);

}  // namespace nestflow
