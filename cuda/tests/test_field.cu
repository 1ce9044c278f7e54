// The fused field kernel and the device RK4 integrator against the CPU
// reference (double precision): v(y, t), the exact trace of ∂v/∂y, and
// y(t1) with ∫ tr dt both ways, for several widths and dimensions. Skips (exit 77) when no
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
    std::printf("field dim %d hidden %zu×%d: %s (largest |Δv| %.2e)\n", c.dim, c.hidden.size(), c.hidden[0], bad ? "FAIL" : "ok", worst);
    failures += bad;

    // RK4 on the device against RK4 in double on the host, forward and back.
    const int m = 40, steps = 10;
    for (const float t1 : {1.0f, 0.0f}) {
      const float t0 = 1.0f - t1;
      std::vector<float> yd(y.begin(), y.begin() + m * c.dim), trInt(m);
      nestflow::cuda::integrateHost(net, params, yd.data(), trInt.data(), m, steps, t0, t1);
      int badOde = 0;
      double worstY = 0, worstTr = 0;
      for (int r = 0; r < m; ++r) {
        std::vector<double> yr(y.begin() + r * c.dim, y.begin() + (r + 1) * c.dim);
        double I = 0;
        const double h = (double(t1) - t0) / steps;
        for (int s = 0; s < steps; ++s) {
          const double t = t0 + s * h;
          std::vector<double> k1 = nestflow::reference::forward(net, params, yr.data(), t), tmp(c.dim);
          const double tr1 = nestflow::reference::traceByDifferences(net, params, yr.data(), t);
          for (int j = 0; j < c.dim; ++j) tmp[j] = yr[j] + 0.5 * h * k1[j];
          std::vector<double> k2 = nestflow::reference::forward(net, params, tmp.data(), t + 0.5 * h);
          const double tr2 = nestflow::reference::traceByDifferences(net, params, tmp.data(), t + 0.5 * h);
          for (int j = 0; j < c.dim; ++j) tmp[j] = yr[j] + 0.5 * h * k2[j];
          std::vector<double> k3 = nestflow::reference::forward(net, params, tmp.data(), t + 0.5 * h);
          const double tr3 = nestflow::reference::traceByDifferences(net, params, tmp.data(), t + 0.5 * h);
          for (int j = 0; j < c.dim; ++j) tmp[j] = yr[j] + h * k3[j];
          std::vector<double> k4 = nestflow::reference::forward(net, params, tmp.data(), t + h);
          const double tr4 = nestflow::reference::traceByDifferences(net, params, tmp.data(), t + h);
          for (int j = 0; j < c.dim; ++j) yr[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
          I += h / 6 * (tr1 + 2 * tr2 + 2 * tr3 + tr4);
        }
        for (int j = 0; j < c.dim; ++j) {
          worstY = std::max(worstY, std::fabs(yd[r * c.dim + j] - yr[j]));
          if (!nestflow::reference::near(yd[r * c.dim + j], yr[j], 1e-4)) ++badOde;
        }
        worstTr = std::max(worstTr, std::fabs(trInt[r] - I));
        if (!nestflow::reference::near(trInt[r], I, 1e-3)) ++badOde;
      }
      std::printf("rk4 %g→%g dim %d: %s (largest |Δy| %.2e, |Δ∫tr| %.2e)\n", t0, t1, c.dim, badOde ? "FAIL" : "ok", worstY, worstTr);
      failures += badOde;
    }
  }
  return failures ? 1 : 0;
}
