// Backend selection by name, and what the backends share: the training
// loop's schedule and AdamW's per-step numbers.
#include "backend.h"

#include <cmath>
#include <string>

#include "coded_error.h"

#ifdef NESTFLOW_WITH_CUDA
#include "../cuda/field_kernels.h"
#endif

namespace nestflow {

TrainResult runTrainLoop(const TrainSpec& spec, int nValidation, const TrainLoopHooks& hooks) {
  TrainResult result;
  double bestLoss = INFINITY;
  int sinceBest = 0;
  bool haveBest = false;
  const bool earlyStop = spec.patience > 0 && nValidation > 0;
  for (int step = 0; step < spec.steps; ++step) {
    const double progress = spec.steps > 1 ? static_cast<double>(step) / (spec.steps - 1) : 0.0;
    const double lr = spec.learningRate *
                      (spec.minLearningRateRatio + (1.0 - spec.minLearningRateRatio) * 0.5 * (1.0 + std::cos(M_PI * progress)));
    result.loss.push_back(hooks.step(lr));
    ++result.stepsRun;
    const bool evalNow = nValidation > 0 && spec.evalEvery > 0 && ((step + 1) % spec.evalEvery == 0 || step + 1 == spec.steps);
    if (!evalNow) continue;
    const double v = hooks.validationLoss();
    result.validationLoss.push_back(v);
    if (v < bestLoss) {
      bestLoss = v;
      sinceBest = 0;
      result.bestStep = step;
      if (earlyStop) {
        hooks.keepBest();
        haveBest = true;
      }
    } else if (earlyStop && ++sinceBest >= spec.patience) {
      break;
    }
  }
  if (earlyStop && haveBest) hooks.restoreBest();
  return result;
}

AdamStepScalars adamStepScalars(const TrainSpec& spec, double lr, double gradNorm2, std::uint64_t step) {
  const double norm = std::sqrt(gradNorm2);
  const double bc1 = 1.0 - std::pow(spec.beta1, static_cast<double>(step));
  const double bc2 = 1.0 - std::pow(spec.beta2, static_cast<double>(step));
  AdamStepScalars s;
  s.clip = spec.clipNorm > 0 && norm > spec.clipNorm ? static_cast<float>(spec.clipNorm / norm) : 1.0f;
  s.stepSize = static_cast<float>(lr / bc1);
  s.invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  s.decay = static_cast<float>(1.0 - lr * spec.weightDecay);
  return s;
}

// Asked once per process: the driver's answer does not change while it runs.
CudaStatus cudaStatus() {
  static const CudaStatus status = [] {
    CudaStatus s;
#ifdef NESTFLOW_WITH_CUDA
    s.compiled = true;
    std::string why;
    s.available = cuda::deviceAvailable(&why);
    if (s.available) {
      try {
        s.device = cuda::deviceDescription();
      } catch (const std::exception& e) {
        s.available = false;
        why = std::string("no CUDA device: ") + e.what();
      }
    }
    if (!s.available) s.reason = why;
#else
    s.reason = "this build of nestflow has no CUDA backend (no CUDA compiler was found when the addon was built)";
#endif
    return s;
  }();
  return status;
}

#ifndef NESTFLOW_WITH_CUDA
std::unique_ptr<Backend> makeCudaBackend(int) {
  throw CodedError("CUDA_UNAVAILABLE", "backend", cudaStatus().reason);
}
#endif

std::unique_ptr<Backend> makeBackend(const std::string& name, int threads) {
  if (name == "cpu") return makeCpuBackend(threads);
  if (name == "cuda" || name == "auto") {
    const CudaStatus status = cudaStatus();
    if (status.available) return makeCudaBackend(threads);
    if (name == "cuda") throw CodedError("CUDA_UNAVAILABLE", "backend", "backend 'cuda' is not available: " + status.reason);
    return makeCpuBackend(threads, "auto: " + status.reason + "; running on the CPU");
  }
  throw std::range_error("unknown backend '" + name + "' (expected 'auto', 'cpu' or 'cuda')");
}

}  // namespace nestflow
