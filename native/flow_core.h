// The flow as the binding sees it: network weights, optimiser state, the
// whitening map and the RNG, plus the backend that does the maths. Points
// crossing this interface are in the caller's coordinates, row-major [n][dim].
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "backend.h"
#include "mlp.h"
#include "rng.h"

namespace nestflow {

struct FlowConfig {
  int dim = 0;
  std::vector<int> hidden{128, 128, 128};
  int timeFreqs = 3;
  std::uint64_t seed = 0;
  int threads = 0;  // 0: OMP_NUM_THREADS or all cores
  std::string backend = "auto";  // "auto", "cpu" or "cuda" (see makeBackend)
};

struct TrainOptions {
  TrainSpec spec;
  double validationFraction = 0.1;
  bool updateWhitening = true;
};

class FlowCore {
 public:
  explicit FlowCore(const FlowConfig& config);

  // Serialises the long operations: a flow is used by one call at a time.
  std::mutex mutex;

  TrainResult train(const double* x, int n, const TrainOptions& options);
  // x [n][dim], logProb [n], z [n][dim] (latent; may be null).
  void sample(int n, const OdeSpec& ode, double* x, double* logProb, double* z);
  void logProb(const double* x, int n, const OdeSpec& ode, double* logProb, double* z);
  // The raw vector field in whitened coordinates (tests and diagnostics).
  void field(const double* y, int n, double t, double* v, double* trace);
  double cfmLoss(const double* xt, const double* t, const double* target, int n,
                 std::vector<double>* grad);

  void reset(std::uint64_t seed);
  std::vector<std::uint8_t> save() const;
  static std::unique_ptr<FlowCore> load(const std::uint8_t* bytes, std::size_t size, int threads,
                                        const std::string& backend = "auto");

  const NetShape& shape() const { return shape_; }
  const std::vector<float>& params() const { return params_; }
  void setParams(const std::vector<float>& p) { params_ = p; }
  const std::vector<double>& mean() const { return mean_; }
  const std::vector<double>& chol() const { return chol_; }
  double logDetChol() const { return logDetChol_; }
  std::uint64_t trainingSteps() const { return adam_.step; }
  Backend& backend() { return *backend_; }
  int dim() const { return shape_.dim; }

  static constexpr std::uint32_t kFormatVersion = 1;

 private:
  void setWhitening(const double* x, int n);
  void toWhite(const double* x, double* y, int n) const;
  void fromWhite(const double* y, double* x, int n) const;

  NetShape shape_;
  std::vector<float> params_;
  AdamState adam_;
  Rng rng_;
  std::vector<double> mean_;  // [dim]
  std::vector<double> chol_;  // lower-triangular [dim][dim], x = mean + chol y
  double logDetChol_ = 0;
  std::unique_ptr<Backend> backend_;
};

}  // namespace nestflow
