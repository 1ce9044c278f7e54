// The CUDA backend behind native/backend.h. During a training call the
// weights, Adam's moments and the training points stay on the device, and
// each step's CFM batch is drawn there (Philox), so a step moves two
// numbers to the host: its loss and the gradient norm that AdamW clips by.
// Between calls the flow's state lives on the host (FlowCore owns it), so a
// flow saves, loads and moves between backends like any other.
#include <chrono>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../native/backend.h"
#include "../native/rng.h"
#include "cuda_common.h"
#include "device_ops.h"

namespace nestflow {
namespace cuda {
namespace {

// A device array that grows on demand and keeps its storage between calls.
template <typename T>
class DeviceArray {
 public:
  T* reserve(std::size_t count) {
    if (count > capacity_) {
      buffer_.reset();
      buffer_ = std::make_unique<DeviceBuffer<T>>(count);
      capacity_ = count;
    }
    return buffer_ ? buffer_->get() : nullptr;
  }
  T* get() const { return buffer_ ? buffer_->get() : nullptr; }

 private:
  std::unique_ptr<DeviceBuffer<T>> buffer_;
  std::size_t capacity_ = 0;
};

template <typename T>
void toDevice(T* device, const T* host, std::size_t count) {
  if (count) check(cudaMemcpy(device, host, count * sizeof(T), cudaMemcpyHostToDevice), "copy to the device");
}
template <typename T>
void toHost(T* host, const T* device, std::size_t count) {
  if (count) check(cudaMemcpy(host, device, count * sizeof(T), cudaMemcpyDeviceToHost), "copy from the device");
}

NetDesc descOf(const NetShape& shape) { return NetDesc::make(shape.dim, shape.hidden, shape.timeFreqs); }

std::vector<float> toFloat(const double* x, std::size_t count) { return std::vector<float>(x, x + count); }

class CudaBackend final : public Backend {
 public:
  explicit CudaBackend(int threads) : threads_(threads), device_(deviceDescription()) {}

  BackendInfo info() const override { return BackendInfo{"cuda", 1, device_, ""}; }

  TrainResult train(const NetShape& shape, std::vector<float>& params, AdamState& adam, const double* points, int nTrain,
                    int nValidation, const TrainSpec& spec, std::uint64_t seed) override {
    const auto start = std::chrono::steady_clock::now();
    const NetDesc net = descOf(shape);
    const std::size_t P = params.size();
    const int d = shape.dim;
    if (adam.m.size() != P) adam.m.assign(P, 0.0f);
    if (adam.v.size() != P) adam.v.assign(P, 0.0f);
    const int batch = spec.batchSize;
    const int nPoints = nTrain + nValidation;

    const std::vector<float> hostPoints = toFloat(points, static_cast<std::size_t>(nPoints) * d);
    float* dPoints = points_.reserve(hostPoints.size());
    toDevice(dPoints, hostPoints.data(), hostPoints.size());
    float* dParams = params_.reserve(P);
    float* dM = m_.reserve(P);
    float* dV = v_.reserve(P);
    toDevice(dParams, params.data(), P);
    toDevice(dM, adam.m.data(), P);
    toDevice(dV, adam.v.data(), P);
    // The validation rows have arrays of their own; the loss blocks serve both.
    float* dXt = xt_.reserve(static_cast<std::size_t>(batch) * d);
    float* dT = t_.reserve(batch);
    float* dTarget = target_.reserve(static_cast<std::size_t>(batch) * d);
    const int blocks = lossBlocks(std::max(batch, nValidation));
    const LossScratch scratch{partial_.reserve(static_cast<std::size_t>(lossBlocks(batch)) * P), blockLoss_.reserve(blocks)};
    float* dGrad = grad_.reserve(P);
    float* dNorm = norm_.reserve(1);
    std::vector<float> blockLoss(blocks);

    Rng stepRng(seed);
    // A fixed validation batch, drawn once: each held-out point once, with its own (z, t).
    const std::uint64_t valSeed = stepRng.next();
    const float* dValPoints = dPoints + static_cast<std::size_t>(nTrain) * d;
    float* dValXt = nullptr;
    float* dValT = nullptr;
    float* dValTarget = nullptr;
    if (nValidation > 0) {
      dValXt = valXt_.reserve(static_cast<std::size_t>(nValidation) * d);
      dValT = valT_.reserve(nValidation);
      dValTarget = valTarget_.reserve(static_cast<std::size_t>(nValidation) * d);
      launchCfmBatch(d, dValPoints, nValidation, nValidation, 0.0f, valSeed, 0, true, dValXt, dValT, dValTarget);
    }
    const auto sumLoss = [&](int n) {
      toHost(blockLoss.data(), scratch.blockLoss, lossBlocks(n));
      double loss = 0;
      for (int b = 0; b < lossBlocks(n); ++b) loss += blockLoss[b];
      return loss / n;
    };

    TrainLoopHooks hooks;
    hooks.step = [&](double lr) {
      const std::uint64_t stepSeed = stepRng.next();
      launchCfmBatch(d, dPoints, nTrain, batch, static_cast<float>(spec.sigma), stepSeed, 0, false, dXt, dT, dTarget);
      launchLoss(net, dParams, dXt, dT, dTarget, batch, dGrad, scratch);
      launchSumSquares(dGrad, static_cast<long long>(P), dNorm);
      float norm2 = 0;
      toHost(&norm2, dNorm, 1);  // waits for the step's kernels
      const double loss = sumLoss(batch);
      ++adam.step;
      const AdamStepScalars k = adamStepScalars(spec, lr, norm2, adam.step);
      const AdamCoefficients coef{k.clip, static_cast<float>(spec.beta1), static_cast<float>(spec.beta2), k.stepSize, k.invSqrtBc2,
                                  static_cast<float>(spec.epsilon), k.decay};
      launchAdam(dParams, dM, dV, dGrad, static_cast<long long>(P), coef);
      return loss;
    };
    hooks.validationLoss = [&] {
      launchLoss(net, dParams, dValXt, dValT, dValTarget, nValidation, nullptr, scratch);
      synchronize("validation loss");
      return sumLoss(nValidation);
    };
    float* dBest = nullptr;
    hooks.keepBest = [&] {
      dBest = best_.reserve(P);
      check(cudaMemcpy(dBest, dParams, P * sizeof(float), cudaMemcpyDeviceToDevice), "keep the best weights");
    };
    hooks.restoreBest = [&] { check(cudaMemcpy(dParams, dBest, P * sizeof(float), cudaMemcpyDeviceToDevice), "restore the best weights"); };
    TrainResult result = runTrainLoop(spec, nValidation, hooks);
    synchronize("training");
    toHost(params.data(), dParams, P);
    toHost(adam.m.data(), dM, P);
    toHost(adam.v.data(), dV, P);
    result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  double cfmLoss(const NetShape& shape, const std::vector<float>& params, const float* xt, const float* t, const float* target, int n,
                 float* grad) override {
    return cfmLossHost(descOf(shape), params, xt, t, target, n, grad);
  }

  void integrate(const NetShape& shape, const std::vector<float>& params, double* y, double* traceIntegral, int n, const OdeSpec& spec,
                 std::uint64_t seed) override {
    // The device integrates with the exact trace only; Hutchinson's estimate
    // (a CPU option for high dimensions) runs on the CPU backend.
    if (spec.trace == TraceMode::Hutchinson) return cpu().integrate(shape, params, y, traceIntegral, n, spec, seed);
    if (n <= 0) return;
    const NetDesc net = descOf(shape);
    const std::size_t count = static_cast<std::size_t>(n) * shape.dim;
    float* dParams = params_.reserve(params.size());
    toDevice(dParams, params.data(), params.size());
    std::vector<float> hostY = toFloat(y, count);
    float* dY = y_.reserve(count);
    toDevice(dY, hostY.data(), count);
    float* dTrace = traceIntegral ? trace_.reserve(n) : nullptr;
    launchIntegrate(net, dParams, dY, dTrace, n, spec.steps, static_cast<float>(spec.t0), static_cast<float>(spec.t1));
    synchronize("integrateKernel");
    toHost(hostY.data(), dY, count);
    for (std::size_t i = 0; i < count; ++i) y[i] = hostY[i];
    if (traceIntegral) {
      std::vector<float> hostTrace(n);
      toHost(hostTrace.data(), dTrace, n);
      for (int i = 0; i < n; ++i) traceIntegral[i] = hostTrace[i];
    }
  }

  void field(const NetShape& shape, const std::vector<float>& params, const double* y, double t, double* v, double* trace,
             int n) override {
    if (n <= 0) return;
    const std::size_t count = static_cast<std::size_t>(n) * shape.dim;
    const std::vector<float> hostY = toFloat(y, count);
    std::vector<float> hostV(count), hostTrace(trace ? n : 0);
    fieldHost(descOf(shape), params, hostY.data(), static_cast<float>(t), hostV.data(), trace ? hostTrace.data() : nullptr, n);
    for (std::size_t i = 0; i < count; ++i) v[i] = hostV[i];
    for (int i = 0; trace && i < n; ++i) trace[i] = hostTrace[i];
  }

 private:
  Backend& cpu() {
    if (!cpu_) cpu_ = makeCpuBackend(threads_);
    return *cpu_;
  }

  int threads_;
  std::string device_;
  std::unique_ptr<Backend> cpu_;
  DeviceArray<float> points_, params_, m_, v_, best_, xt_, t_, target_, valXt_, valT_, valTarget_, grad_, norm_, partial_, blockLoss_,
      y_, trace_;
};

}  // namespace
}  // namespace cuda

std::unique_ptr<Backend> makeCudaBackend(int threads) { return std::make_unique<cuda::CudaBackend>(threads); }

}  // namespace nestflow
