// CFM loss and gradient on the device against the CPU reference (loss in
// double, gradient by central differences), run-to-run identical gradients,
// and the AdamW step against the same formula on the host. Skips (exit 77)
// when no CUDA device answers.
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../train_kernels.h"
#include "reference.h"

using nestflow::cuda::NetDesc;

static double referenceLoss(const NetDesc& net, const std::vector<float>& params, const std::vector<float>& xt, const std::vector<float>& t,
                            const std::vector<float>& target, int n) {
  double loss = 0;
  for (int r = 0; r < n; ++r) {
    std::vector<double> x(xt.begin() + r * net.dim, xt.begin() + (r + 1) * net.dim);
    const std::vector<double> v = nestflow::reference::forward(net, params, x.data(), t[r]);
    for (int j = 0; j < net.dim; ++j) loss += (v[j] - target[r * net.dim + j]) * (v[j] - target[r * net.dim + j]);
  }
  return loss / n;
}

int main() {
  std::string why;
  if (!nestflow::cuda::deviceAvailable(&why)) {
    std::printf("skipped: %s\n", why.c_str());
    return nestflow::reference::kSkip;
  }
  std::printf("device: %s\n", nestflow::cuda::deviceDescription().c_str());
  int failures = 0;
  std::mt19937_64 gen(11);
  struct Case {
    int dim;
    std::vector<int> hidden;
  };
  for (const Case& c : {Case{3, {32, 32}}, Case{8, {64, 64, 64}}, Case{16, {128, 128, 128}}}) {
    const NetDesc net = NetDesc::make(c.dim, c.hidden, 3);
    std::vector<float> params(net.paramCount());
    for (int l = 0; l < net.layers; ++l) {
      const float bound = 1.0f / std::sqrt(float(net.in[l]));
      std::uniform_real_distribution<float> u(-bound, bound);
      const long long count = static_cast<long long>(net.in[l] + 1) * net.out[l];
      for (long long i = 0; i < count; ++i) params[net.weightOffset[l] + i] = u(gen);
    }
    const int n = 100;  // not a multiple of the rows per block
    std::normal_distribution<float> z;
    std::uniform_real_distribution<float> u01(0.0f, 1.0f);
    std::vector<float> xt(n * c.dim), t(n), target(n * c.dim);
    for (float& x : xt) x = z(gen);
    for (float& x : t) x = u01(gen);
    for (float& x : target) x = z(gen);
    std::vector<float> grad(params.size()), grad2(params.size());
    const double loss = nestflow::cuda::cfmLossHost(net, params, xt.data(), t.data(), target.data(), n, grad.data());
    nestflow::cuda::cfmLossHost(net, params, xt.data(), t.data(), target.data(), n, grad2.data());
    const double want = referenceLoss(net, params, xt, t, target, n);
    int bad = 0;
    if (!nestflow::reference::near(loss, want, 1e-5)) {
      std::printf("FAIL loss %.9g, reference %.9g\n", loss, want);
      ++bad;
    }
    if (grad != grad2) {
      std::printf("FAIL gradients differ between two identical calls\n");
      ++bad;
    }
    // 60 parameters spread over all layers, by central differences in double.
    std::uniform_int_distribution<long long> pick(0, static_cast<long long>(params.size()) - 1);
    std::vector<double> fd, got;
    double scale = 0;
    for (int q = 0; q < 60; ++q) {
      const long long p = pick(gen);
      std::vector<float> plus = params, minus = params;
      plus[p] += 1e-2f;
      minus[p] -= 1e-2f;
      const double d = (referenceLoss(net, plus, xt, t, target, n) - referenceLoss(net, minus, xt, t, target, n)) / (double(plus[p]) - minus[p]);
      fd.push_back(d);
      got.push_back(grad[p]);
      scale = std::max(scale, std::fabs(d));
    }
    for (std::size_t q = 0; q < fd.size(); ++q) {
      if (std::fabs(got[q] - fd[q]) > 2e-2 * std::fabs(fd[q]) + 1e-3 * scale) {
        std::printf("FAIL gradient %zu: device %.6g, differences %.6g\n", q, got[q], fd[q]);
        ++bad;
      }
    }
    std::printf("cfm loss+grad dim %d hidden %zu×%d: %s (loss %.6f vs %.6f)\n", c.dim, c.hidden.size(), c.hidden[0], bad ? "FAIL" : "ok", loss, want);
    failures += bad;

    // AdamW: one step from non-zero moments.
    std::vector<float> m(params.size()), v(params.size()), w = params;
    for (std::size_t i = 0; i < m.size(); ++i) {
      m[i] = 0.01f * z(gen);
      v[i] = 1e-4f * std::fabs(z(gen));
    }
    const nestflow::cuda::AdamCoefficients coef{0.8f, 0.9f, 0.999f, 1e-3f / 0.19f, 1.0f / std::sqrt(0.002997f), 1e-8f, 1.0f - 1e-3f * 0.01f};
    std::vector<float> mh = m, vh = v, wh = w;
    for (std::size_t i = 0; i < w.size(); ++i) {
      const float gi = grad[i] * coef.clip;
      mh[i] = coef.beta1 * mh[i] + (1.0f - coef.beta1) * gi;
      vh[i] = coef.beta2 * vh[i] + (1.0f - coef.beta2) * gi * gi;
      wh[i] = wh[i] * coef.decay - coef.stepSize * mh[i] / (std::sqrt(vh[i]) * coef.invSqrtBc2 + coef.epsilon);
    }
    nestflow::cuda::adamHost(w, m, v, grad, coef);
    int badAdam = 0;
    for (std::size_t i = 0; i < w.size(); ++i)
      if (!nestflow::reference::near(w[i], wh[i], 1e-6) || !nestflow::reference::near(m[i], mh[i], 1e-6) || !nestflow::reference::near(v[i], vh[i], 1e-6)) ++badAdam;
    std::printf("adamw dim %d: %s\n", c.dim, badAdam ? "FAIL" : "ok");
    failures += badAdam;
  }
  return failures ? 1 : 0;
}
