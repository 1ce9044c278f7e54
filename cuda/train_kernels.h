// Host entry points of the training kernels: the CFM loss with its gradient,
// and the AdamW step, with the CPU backend's definitions (native/cpu_backend.cc,
// native/elementwise.cc).
#pragma once
#include <vector>

#include "field_kernels.h"

namespace nestflow {
namespace cuda {

// Mean over rows of Σ_j (v(x_t, t)_j − target_j)², and when grad is not null
// its gradient with respect to params (the CPU backend's cfmLoss). Per-block
// partial gradients are summed in a fixed order, so the result does not
// depend on scheduling (no atomics).
double cfmLossHost(const NetDesc& net, const std::vector<float>& params, const float* xt, const float* t, const float* target, int n,
                   float* grad);

// AdamW as native/elementwise.cc: g ← g·clip; m ← β1 m + (1−β1) g;
// v ← β2 v + (1−β2) g²; w ← w·decay − stepSize·m / (√v·invSqrtBc2 + ε).
struct AdamCoefficients {
  float clip, beta1, beta2, stepSize, invSqrtBc2, epsilon, decay;
};
void adamHost(std::vector<float>& params, std::vector<float>& m, std::vector<float>& v, const std::vector<float>& grad,
              const AdamCoefficients& c);

}  // namespace cuda
}  // namespace nestflow
