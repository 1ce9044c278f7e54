// Elementwise maths for the activations: SiLU and its derivative, vectorised.
#pragma once

namespace nestflow {

// act[i] = x σ(x), deriv[i] = σ(x) (1 + x (1 − σ(x))), in place of x = pre[i].
// deriv may be null (training forward keeps pre instead).
void siluForward(const float* pre, float* act, float* deriv, int n);

// grad[i] *= silu'(pre[i]).
void siluBackward(const float* pre, float* grad, int n);

}  // namespace nestflow
