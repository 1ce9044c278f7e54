// The CUDA backend against the CPU backend through the same interface
// (FlowCore, as the addon uses them), at d = 2, 10 and 32:
//  - the CFM loss and its gradient on the same rows;
//  - a flow trained on the CPU, saved and loaded on the GPU (and the other
//    way round): log q of the same points, and samples from the same latent
//    draws, within 1e-4 nats / units (float32);
//  - training from the same start on both: the CFM loss on a fixed
//    evaluation set after every 25 steps within 1%.
// Skips (exit 77) with the reason when no CUDA device answers.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "../../native/backend.h"
#include "../../native/flow_core.h"

using namespace nestflow;

namespace {

constexpr int kSkip = 77;
int failures = 0;

void expect(bool ok, const std::string& what) {
  std::printf("  %s %s\n", ok ? "ok  " : "FAIL", what.c_str());
  if (!ok) ++failures;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

// A curved valley in each pair of coordinates (x_{2k+1} ≈ x_{2k}²), scaled to O(1).
std::vector<double> banana(int dim, int n, unsigned seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> g;
  std::vector<double> x(static_cast<std::size_t>(n) * dim);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < dim; ++j) {
      const double a = g(gen);
      x[i * dim + j] = (j % 2 == 1) ? x[i * dim + j - 1] * x[i * dim + j - 1] + 0.3 * a : a;
    }
  return x;
}

double maxAbsDiff(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return m;
}

FlowConfig configFor(int dim, const std::string& backend) {
  FlowConfig c;
  c.dim = dim;
  c.seed = 5;
  c.backend = backend;
  return c;
}

TrainOptions trainOptions(int steps) {
  TrainOptions o;
  o.spec.steps = steps;
  o.validationFraction = 0;
  return o;
}

// Fixed CFM rows (x_t, t, target) in the flow's whitened coordinates.
struct Rows {
  std::vector<double> xt, t, target;
  int n = 0;
};

Rows evaluationRows(const FlowCore& flow, const std::vector<double>& x, int n, unsigned seed) {
  const int d = flow.dim();
  const std::vector<double>& mean = flow.mean();
  const std::vector<double>& L = flow.chol();
  std::mt19937_64 gen(seed);
  std::normal_distribution<double> g;
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Rows r;
  r.n = n;
  r.xt.resize(static_cast<std::size_t>(n) * d);
  r.target.resize(r.xt.size());
  r.t.resize(n);
  const int nPoints = static_cast<int>(x.size()) / d;
  std::vector<double> y(d);
  for (int i = 0; i < n; ++i) {
    const double* p = &x[static_cast<std::size_t>(i % nPoints) * d];
    // y = L⁻¹ (x − mean) by forward substitution.
    for (int j = 0; j < d; ++j) {
      double s = p[j] - mean[j];
      for (int k = 0; k < j; ++k) s -= L[j * d + k] * y[k];
      y[j] = s / L[j * d + j];
    }
    const double t = u(gen);
    r.t[i] = t;
    for (int j = 0; j < d; ++j) {
      const double z = g(gen);
      r.xt[i * d + j] = t * y[j] + (1 - t) * z;
      r.target[i * d + j] = y[j] - z;
    }
  }
  return r;
}

// log q and samples of a flow and its copy on the other backend.
void compareCopies(FlowCore& a, FlowCore& b, const std::vector<double>& x, int n, const char* label) {
  const int d = a.dim();
  OdeSpec ode;
  std::vector<double> lpA(n), lpB(n);
  a.logProb(x.data(), n, ode, lpA.data(), nullptr);
  b.logProb(x.data(), n, ode, lpB.data(), nullptr);
  const double dLogProb = maxAbsDiff(lpA, lpB);
  expect(dLogProb <= 1e-4, std::string(label) + ": log q of the same points, max |Δ| = " + fmt("%.2e", dLogProb) + " nats (≤ 1e-4)");
  // Same RNG state (it travels in the file): the same latent draws.
  std::vector<double> xa(static_cast<std::size_t>(n) * d), xb(xa.size()), sa(n), sb(n);
  a.sample(n, ode, xa.data(), sa.data(), nullptr);
  b.sample(n, ode, xb.data(), sb.data(), nullptr);
  const double dx = maxAbsDiff(xa, xb), ds = maxAbsDiff(sa, sb);
  expect(dx <= 1e-4 && ds <= 1e-4, std::string(label) + ": samples from the same draws, max |Δx| = " + fmt("%.2e", dx) +
                                       ", max |Δ log q| = " + fmt("%.2e", ds) + " (≤ 1e-4)");
}

void checkDimension(int dim) {
  std::printf("d = %d\n", dim);
  const int n = 2000;
  const std::vector<double> x = banana(dim, n, 11 + dim);

  // A CPU-trained flow loaded on the GPU: the same numbers from both.
  FlowCore cpu(configFor(dim, "cpu"));
  cpu.train(x.data(), n, trainOptions(300));
  const std::vector<std::uint8_t> cpuBytes = cpu.save();
  auto onGpu = FlowCore::load(cpuBytes.data(), cpuBytes.size(), 0, "cuda");
  expect(onGpu->backend().info().name == "cuda", "a flow loaded with backend 'cuda' runs on " + onGpu->backend().info().name);

  const Rows rows = evaluationRows(cpu, x, 1024, 3);
  std::vector<double> gCpu, gGpu;
  const double lCpu = cpu.cfmLoss(rows.xt.data(), rows.t.data(), rows.target.data(), rows.n, &gCpu);
  const double lGpu = onGpu->cfmLoss(rows.xt.data(), rows.t.data(), rows.target.data(), rows.n, &gGpu);
  double num = 0, den = 0;
  for (std::size_t i = 0; i < gCpu.size(); ++i) {
    num += (gGpu[i] - gCpu[i]) * (gGpu[i] - gCpu[i]);
    den += gCpu[i] * gCpu[i];
  }
  const double lossRel = std::fabs(lGpu - lCpu) / lCpu, gradRel = std::sqrt(num / den);
  expect(lossRel <= 1e-5 && gradRel <= 1e-3,
         "CFM loss on the same rows: relative Δ " + fmt("%.1e", lossRel) + " (≤ 1e-5), gradient " + fmt("%.1e", gradRel) + " (≤ 1e-3)");

  std::vector<double> sampleX(static_cast<std::size_t>(n) * dim), sampleLp(n);
  cpu.sample(n, OdeSpec{}, sampleX.data(), sampleLp.data(), nullptr);
  auto cpuAgain = FlowCore::load(cpuBytes.data(), cpuBytes.size(), 0, "cpu");
  compareCopies(*cpuAgain, *onGpu, sampleX, n, "trained on the CPU");

  // A GPU-trained flow loaded on the CPU.
  FlowCore gpu(configFor(dim, "cuda"));
  const TrainResult trained = gpu.train(x.data(), n, trainOptions(300));
  expect(trained.stepsRun == 300 && trained.loss.back() < trained.loss.front(),
         "GPU training: 300 steps, loss " + fmt("%.4f", trained.loss.front()) + " → " + fmt("%.4f", trained.loss.back()));
  const std::vector<std::uint8_t> gpuBytes = gpu.save();
  auto gpuOnCpu = FlowCore::load(gpuBytes.data(), gpuBytes.size(), 0, "cpu");
  auto gpuAgain = FlowCore::load(gpuBytes.data(), gpuBytes.size(), 0, "cuda");
  compareCopies(*gpuOnCpu, *gpuAgain, sampleX, n, "trained on the GPU");

  // Loss curves from the same start, each evaluated on the same rows by the CPU.
  FlowCore a(configFor(dim, "cpu")), b(configFor(dim, "cuda")), judge(configFor(dim, "cpu"));
  double worst = 0;
  std::printf("  CFM loss on 4096 fixed rows every 25 steps (CPU / GPU):");
  for (int k = 0; k < 12; ++k) {
    a.train(x.data(), n, trainOptions(25));
    b.train(x.data(), n, trainOptions(25));
    const Rows evalRows = evaluationRows(a, x, 4096, 17);
    judge.setParams(a.params());
    const double la = judge.cfmLoss(evalRows.xt.data(), evalRows.t.data(), evalRows.target.data(), evalRows.n, nullptr);
    judge.setParams(b.params());
    const double lb = judge.cfmLoss(evalRows.xt.data(), evalRows.t.data(), evalRows.target.data(), evalRows.n, nullptr);
    std::printf(" %.4f/%.4f", la, lb);
    if (k >= 1) worst = std::max(worst, std::fabs(lb - la) / la);
  }
  std::printf("\n");
  expect(worst <= 0.01, "loss curves after 50 steps on: largest relative gap " + fmt("%.3f", worst) + " (≤ 0.01)");
}

}  // namespace

int main() {
  const CudaStatus status = cudaStatus();
  if (!status.available) {
    std::printf("skipped: %s\n", status.reason.c_str());
    return kSkip;
  }
  std::printf("device: %s\n", status.device.c_str());
  try {
    for (int dim : {2, 10, 32}) checkDimension(dim);
  } catch (const std::exception& e) {
    std::printf("FAIL: %s\n", e.what());
    return 1;
  }
  std::printf("%s (%d failure%s)\n", failures ? "FAILED" : "backend agreement: ok", failures, failures == 1 ? "" : "s");
  return failures ? 1 : 0;
}
