// The kernels' launchers on device pointers, for code that keeps its arrays
// on the device between calls (the CUDA backend). Plain C++: the pointers
// are device addresses, every call is asynchronous on the default stream
// unless it says it synchronises.
#pragma once
#include <cstdint>

#include "field_kernels.h"
#include "train_kernels.h"

namespace nestflow {
namespace cuda {

// v [n][dim] and, when trace is not null, the exact trace [n] at time t.
void launchField(const NetDesc& net, const float* params, const float* y, float t, float* v, float* trace, int n);

// RK4 from t0 to t1 in `steps` steps: y [n][dim] in place and, when not null,
// traceIntegral [n] ← ∫ tr(∂v/∂y) dt.
void launchIntegrate(const NetDesc& net, const float* params, float* y, float* traceIntegral, int n, int steps, float t0, float t1);

// Scratch of the CFM loss for batches of up to `rows` rows: per-block
// partial gradients and losses.
struct LossScratch {
  float* partial = nullptr;    // [blocks][paramCount]
  float* blockLoss = nullptr;  // [blocks]
};
// Blocks the loss kernel uses for n rows (size LossScratch by it).
int lossBlocks(int n);

// Per block the sum over its rows of |v(x_t, t) − target|² into
// scratch.blockLoss, and when grad is not null the gradient of the mean over
// the n rows into grad [paramCount] (block sums added in block order: the
// same every run).
void launchLoss(const NetDesc& net, const float* params, const float* xt, const float* t, const float* target, int n, float* grad,
                const LossScratch& scratch);

// A CFM batch from whitened points [nPoints][dim]: per row i a point index
// (i mod nPoints when inOrder, else uniform) and t from Philox (seed, stream,
// i), normals from (seed, stream + 1); x_t = t y + (1 − t) z + σ ε, target = y − z.
void launchCfmBatch(int dim, const float* points, int nPoints, int rows, float sigma, std::uint64_t seed, std::uint64_t stream, bool inOrder,
                    float* xt, float* t, float* target);

// out[0] ← Σ x_i² (one block, fixed order).
void launchSumSquares(const float* x, long long n, float* out);

// The AdamW step of adamHost on device arrays of n entries.
void launchAdam(float* params, float* m, float* v, const float* grad, long long n, const AdamCoefficients& c);

// Waits for the device and turns an asynchronous error into an exception naming `what`.
void synchronize(const char* what);

}  // namespace cuda
}  // namespace nestflow
