// Elementwise maths for the activations: SiLU and its derivative, vectorised.
#pragma once

#include "rng.h"

namespace nestflow {

// act[i] = x σ(x) and deriv[i] = σ(x) (1 + x (1 − σ(x))) for x = pre[i];
// deriv may be null, and may alias pre (each element is read before written).
void siluForward(const float* pre, float* act, float* deriv, int n);

// n standard normals in float (Box-Muller on 24-bit uniforms; vectorised
// log and sincos where AVX-512 runs). Consumes the generator in blocks of 32
// outputs, so the values depend only on its state and n.
void fillNormals(Rng& rng, float* out, int n);

}  // namespace nestflow
