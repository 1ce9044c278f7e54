// Throughput of the CPU and CUDA backends on the same machine, as a
// Markdown table: samples per second with the exact trace (the backend's ODE
// alone, and FlowCore::sample with the host's latent draws and whitening)
// at d = 2, 10, 32 for batches of 1e3 to 1e6, and CFM training steps per
// second (batch 1000). The 3×128 SiLU network of the sampler, 10 RK4 steps.
// A measurement whose projected time exceeds the cap is left out ("—"); the
// ratio then uses the rate of the largest batch measured.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../../native/backend.h"
#include "../../native/flow_core.h"

using namespace nestflow;

namespace {

constexpr double kCapSeconds = 40.0;

double seconds(const std::chrono::steady_clock::time_point& t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<double> gaussianPoints(int dim, int n) {
  std::mt19937_64 gen(1);
  std::normal_distribution<double> g;
  std::vector<double> x(static_cast<std::size_t>(n) * dim);
  for (double& v : x) v = g(gen);
  return x;
}

// Rate (items per second) of op(n), or -1 when the projection from `lastRate` exceeds the cap.
template <typename Op>
double rateOf(int n, double lastRate, Op op) {
  if (lastRate > 0 && n / lastRate > kCapSeconds) return -1;
  const auto t0 = std::chrono::steady_clock::now();
  op(n);
  return n / seconds(t0);
}

std::string cell(double rate) {
  if (rate < 0) return "—";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", rate);
  return buf;
}

struct Pair {
  double cpu = -1, gpu = -1, cpuRef = -1;  // cpuRef: the rate the ratio uses
};

}  // namespace

int main(int argc, char** argv) {
  const CudaStatus status = cudaStatus();
  if (!status.available) {
    std::printf("no GPU to measure: %s\n", status.reason.c_str());
    return 77;
  }
  const int threads = argc > 1 ? std::atoi(argv[1]) : static_cast<int>(std::thread::hardware_concurrency());
  std::printf("device: %s\nCPU backend: %d threads\n\n", status.device.c_str(), threads);
  const int batches[] = {1000, 10000, 100000, 1000000};
  double target = -1;

  std::printf("| d | batch | CPU ODE samples/s | GPU ODE samples/s | GPU/CPU | CPU sample() /s | GPU sample() /s | GPU/CPU |\n");
  std::printf("| --- | --- | --- | --- | --- | --- | --- | --- |\n");
  std::vector<std::string> trainRows;
  for (int dim : {2, 10, 32}) {
    FlowConfig config;
    config.dim = dim;
    config.seed = 1;
    config.threads = threads;
    config.backend = "cpu";
    FlowCore cpu(config);
    TrainOptions warm;
    warm.spec.steps = 50;
    warm.validationFraction = 0;
    const std::vector<double> points = gaussianPoints(dim, 2000);
    cpu.train(points.data(), 2000, warm);
    const std::vector<std::uint8_t> bytes = cpu.save();
    auto gpu = FlowCore::load(bytes.data(), bytes.size(), threads, "cuda");
    const NetShape& shape = cpu.shape();
    OdeSpec ode;

    // Warm-up: the first device call pays for the context and module load.
    {
      std::vector<double> y(1000 * dim), tr(1000);
      gpu->backend().integrate(shape, gpu->params(), y.data(), tr.data(), 1000, ode, 1);
    }
    Pair integ, whole;
    for (int n : batches) {
      std::vector<double> y(static_cast<std::size_t>(n) * dim, 0.1), tr(n), x(y.size()), lp(n);
      const auto integrate = [&](FlowCore& f) { return [&](int m) { f.backend().integrate(shape, f.params(), y.data(), tr.data(), m, ode, 1); }; };
      const auto sample = [&](FlowCore& f) { return [&](int m) { f.sample(m, ode, x.data(), lp.data(), nullptr); }; };
      const double ci = rateOf(n, integ.cpu, integrate(cpu));
      const double gi = rateOf(n, integ.gpu, integrate(*gpu));
      const double cs = rateOf(n, whole.cpu, sample(cpu));
      const double gs = rateOf(n, whole.gpu, sample(*gpu));
      if (ci > 0) integ.cpu = integ.cpuRef = ci;
      if (gi > 0) integ.gpu = gi;
      if (cs > 0) whole.cpu = whole.cpuRef = cs;
      if (gs > 0) whole.gpu = gs;
      const auto ratio = [](double g, double c) { return g > 0 && c > 0 ? cell(g / c) + "×" : std::string("—"); };
      std::printf("| %d | %d | %s | %s | %s | %s | %s | %s |\n", dim, n, cell(ci).c_str(), cell(gi).c_str(), ratio(gi, integ.cpuRef).c_str(),
                  cell(cs).c_str(), cell(gs).c_str(), ratio(gs, whole.cpuRef).c_str());
      if (dim == 10 && n == 100000 && gs > 0 && whole.cpuRef > 0) target = gs / whole.cpuRef;
      std::fflush(stdout);
    }

    // Training steps per second, batch 1000, from the same start.
    TrainOptions steps;
    steps.spec.steps = 100;
    steps.validationFraction = 0;
    auto cpuT = FlowCore::load(bytes.data(), bytes.size(), threads, "cpu");
    auto gpuT = FlowCore::load(bytes.data(), bytes.size(), threads, "cuda");
    auto t0 = std::chrono::steady_clock::now();
    cpuT->train(points.data(), 2000, steps);
    const double cpuSteps = 100 / seconds(t0);
    t0 = std::chrono::steady_clock::now();
    gpuT->train(points.data(), 2000, steps);
    const double gpuSteps = 100 / seconds(t0);
    char row[160];
    std::snprintf(row, sizeof row, "| %d | %.3g | %.3g | %.3g× |", dim, cpuSteps, gpuSteps, gpuSteps / cpuSteps);
    trainRows.push_back(row);
  }
  std::printf("\n| d | CPU training steps/s | GPU training steps/s | GPU/CPU |\n| --- | --- | --- | --- |\n");
  for (const std::string& r : trainRows) std::printf("%s\n", r.c_str());
  if (target > 0) std::printf("\nsampling, d = 10, batch 1e5: GPU/CPU = %.1f× (target ≥ 50×): %s\n", target, target >= 50 ? "met" : "NOT met");
  return 0;
}
