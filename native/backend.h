// The backend interface: whole operations on the network (train, integrate,
// evaluate), so a device backend can keep its state between the inner steps.
// Coordinates here are whitened; the flow core handles the affine map.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "mlp.h"

namespace nestflow {

struct TrainSpec {
  int steps = 300;
  int batchSize = 1000;
  double learningRate = 1e-3;
  double minLearningRateRatio = 0.1;  // cosine decay to lr * ratio over the call
  double weightDecay = 0.0;           // AdamW, decoupled
  double beta1 = 0.9;
  double beta2 = 0.999;
  double epsilon = 1e-8;
  double clipNorm = 1.0;  // global gradient norm; <= 0 disables
  double sigma = 0.0;     // CFM path noise σ
  int evalEvery = 25;     // validation loss every this many steps
  int patience = 0;       // evaluations without improvement before stopping; 0 = never stop early
};

struct TrainResult {
  std::vector<double> loss;           // training loss per step
  std::vector<double> validationLoss; // per evaluation (empty without a validation set)
  int stepsRun = 0;
  int bestStep = -1;  // weights restored to this step's when early stopping is on
  double seconds = 0;
};

enum class TraceMode { Exact, Hutchinson };

struct OdeSpec {
  int steps = 10;                   // RK4 steps between t = 0 and 1
  double t0 = 0.0, t1 = 1.0;        // direction follows t1 - t0
  TraceMode trace = TraceMode::Exact;
  int probes = 1;                   // Hutchinson probes per trajectory
  double baseScale = 1.0;           // sample() draws z ~ N(0, baseScale² I); logProb stays the flow's own
};

// What a backend says about itself (flow.info in JS).
struct BackendInfo {
  std::string name;  // e.g. "cpu (avx2)"
  int threads = 0;   // host threads it uses
  std::string device;  // the accelerator, empty on the CPU
  std::string note;    // why 'auto' chose this backend over the device, if it did
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual BackendInfo info() const = 0;

  // CFM training on whitened points [n][dim] (float64): the first nTrain rows
  // are trained on, the rest validate. Updates params and adam in place.
  virtual TrainResult train(const NetShape& shape, std::vector<float>& params, AdamState& adam,
                            const double* points, int nTrain, int nValidation,
                            const TrainSpec& spec, std::uint64_t seed) = 0;

  // Mean CFM loss on given (x_t [n][dim], t [n], target [n][dim]) triples and,
  // when grad is not null, its gradient with respect to params.
  virtual double cfmLoss(const NetShape& shape, const std::vector<float>& params, const float* xt,
                         const float* t, const float* target, int n, float* grad) = 0;

  // Integrates n trajectories y [n][dim] (in/out) from spec.t0 to spec.t1,
  // and returns ∫ tr(∂v/∂y) dt along each (signed by direction) in traceIntegral.
  virtual void integrate(const NetShape& shape, const std::vector<float>& params, double* y,
                         double* traceIntegral, int n, const OdeSpec& spec,
                         std::uint64_t seed) = 0;

  // v(y, t) [n][dim] and tr(∂v/∂y) [n] at one time for n points.
  virtual void field(const NetShape& shape, const std::vector<float>& params, const double* y,
                     double t, double* v, double* trace, int n) = 0;
};

// The training loop both backends run around their own step: the learning
// rate's cosine decay, validation every spec.evalEvery steps and early
// stopping. `step(lr)` runs one Adam step and returns its batch loss;
// `keepBest` / `restoreBest` save and put back the weights of the best
// validation loss (early stopping only).
struct TrainLoopHooks {
  std::function<double(double lr)> step;
  std::function<double()> validationLoss;
  std::function<void()> keepBest;
  std::function<void()> restoreBest;
};
TrainResult runTrainLoop(const TrainSpec& spec, int nValidation, const TrainLoopHooks& hooks);

// AdamW's per-step numbers (after ++adam.step): the gradient's clip factor
// for its global norm, lr / (1 − β1^k), 1 / √(1 − β2^k) and the decay factor.
struct AdamStepScalars {
  float clip, stepSize, invSqrtBc2, decay;
};
AdamStepScalars adamStepScalars(const TrainSpec& spec, double lr, double gradNorm2, std::uint64_t step);

// `note`: why 'auto' fell back to it (BackendInfo::note).
std::unique_ptr<Backend> makeCpuBackend(int threads, std::string note = {});
// The CUDA backend (only in builds with NESTFLOW_WITH_CUDA; needs a device).
std::unique_ptr<Backend> makeCudaBackend(int threads);

// Whether this build carries the CUDA backend and a device answers.
struct CudaStatus {
  bool compiled = false;
  bool available = false;
  std::string device;  // deviceDescription() when available
  std::string reason;  // why not, when not available
};
CudaStatus cudaStatus();

// The backend by name: "cpu", "cuda" (a CodedError CUDA_UNAVAILABLE naming
// the reason when the build has no CUDA backend or no device answers), or
// "auto" (CUDA when a device answers, else the CPU with the reason in its note).
std::unique_ptr<Backend> makeBackend(const std::string& name, int threads);

}  // namespace nestflow
