// CPU references for the kernel tests, in double precision and written
// independently of the kernels: a plain forward pass, and the trace of the
// Jacobian by central differences.
#pragma once
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "../field_kernels.h"

namespace nestflow {
namespace reference {

// Exit code that ctest reads as "skipped".
constexpr int kSkip = 77;

inline std::vector<double> forward(const cuda::NetDesc& net, const std::vector<float>& params, const double* y, double t) {
  std::vector<double> a(net.in[0]);
  for (int i = 0; i < net.dim; ++i) a[i] = y[i];
  a[net.dim] = t;
  for (int k = 1; k <= net.timeFreqs; ++k) {
    a[net.dim + 2 * k - 1] = std::sin(2 * M_PI * k * t);
    a[net.dim + 2 * k] = std::cos(2 * M_PI * k * t);
  }
  for (int l = 0; l < net.layers; ++l) {
    const float* W = params.data() + net.weightOffset[l];
    const float* b = W + static_cast<std::size_t>(net.in[l]) * net.out[l];
    std::vector<double> h(net.out[l]);
    for (int j = 0; j < net.out[l]; ++j) {
      double s = b[j];
      for (int i = 0; i < net.in[l]; ++i) s += static_cast<double>(W[static_cast<std::size_t>(j) * net.in[l] + i]) * a[i];
      h[j] = l + 1 < net.layers ? s / (1 + std::exp(-s)) : s;
    }
    a.swap(h);
  }
  return a;
}

inline double traceByDifferences(const cuda::NetDesc& net, const std::vector<float>& params, const double* y, double t) {
  const double eps = 1e-5;
  std::vector<double> yp(y, y + net.dim), ym(y, y + net.dim);
  double tr = 0;
  for (int k = 0; k < net.dim; ++k) {
    yp[k] = y[k] + eps;
    ym[k] = y[k] - eps;
    tr += (forward(net, params, yp.data(), t)[k] - forward(net, params, ym.data(), t)[k]) / (2 * eps);
    yp[k] = ym[k] = y[k];
  }
  return tr;
}

inline bool near(double got, double want, double tol) { return std::fabs(got - want) <= tol * (1 + std::fabs(want)); }

}  // namespace reference
}  // namespace nestflow
