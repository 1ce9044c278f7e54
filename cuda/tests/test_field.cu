// The fused field kernel against the CPU reference: v(y, t) and the exact
// trace of ∂v/∂y, for several widths and dimensions. Skips (exit 77) when no
// CUDA device answers.
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../field_kernels.h"
#include "reference.h"

using nestflow::cuda::NetDesc;

int main() {
  std::string why;
  if (!nestflow::cuda::deviceAvailable(&why)) {
    std::printf("skipped: %s\n", why.c_str());
    return nestflow::reference::kSkip;
  }
  std::printf("device: %s\n", nestflow::cuda::deviceDescription().c_str());
  struct Case {
    int dim;
    std::vector<int> hidden;
  };
  const Case cases[] = {{2, {64, 64}}, {5, {128, 128, 128}}, {16, {128, 128, 128}}, {10, {256, 256}}};
  int failures = 0;
  std::mt19937_64 gen(7);
  for (const Case& c : cases) {
    const NetDesc net = NetDesc::make(c.dim, c.hidden, 3);
    // Trained-looking weights: U(±1/√fan_in) everywhere, the output layer included.
    std::vector<float> params(net.paramCount());
    for (int l = 0; l < net.layers; ++l) {
      std::uniform_real_distribution<float> u(-1.0f / std::sqrt(float(net.in[l])), 1.0f / std::sqrt(float(net.in[l])));
      const long long count = static_cast<long long>(net.in[l] + 1) * net.out[l];
      for (long long i = 0; i < count; ++i) params[net.weightOffset[l] + i] = u(gen);
    }
    const int n = 300;  // not a multiple of the rows per block
    std::normal_distribution<float> z;
    std::vector<float> y(static_cast<std::size_t>(n) * c.dim), v(y.size()), trace(n);
    for (float& x : y) x = z(gen);
    const float t = 0.37f;
    nestflow::cuda::fieldHost(net, params, y.data(), t, v.data(), trace.data(), n);
    int bad = 0;
    double worst = 0;
    for (int r = 0; r < n; ++r) {
      std::vector<double> yd(y.begin() + r * c.dim, y.begin() + (r + 1) * c.dim);
      const std::vector<double> want = nestflow::reference::forward(net, params, yd.data(), t);
      for (int j = 0; j < c.dim; ++j) {
        worst = std::max(worst, std::fabs(v[r * c.dim + j] - want[j]));
        if (!nestflow::reference::near(v[r * c.dim + j], want[j], 1e-4)) ++bad;
      }
      const double tr = nestflow::reference::traceByDifferences(net, params, yd.data(), t);
      if (!nestflow::reference::near(trace[r], tr, 1e-3)) ++bad;
    }
    std::printf("dim %d hidden %zu×%d: %s (largest |Δv| %.2e)\n", c.dim, c.hidden.size(), c.hidden[0], bad ? "FAIL" : "ok", worst);
    failures += bad;
  }
  return failures ? 1 : 0;
}
