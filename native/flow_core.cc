#include "flow_core.h"

#include "coded_error.h"
#include "limits.h"

#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

namespace nestflow {

namespace {
constexpr double kLog2Pi = 1.8378770664093454836;

// A flow whose weights overflow gives NaN or ±Inf: a clean error, never numbers.
void requireFiniteOutput(const double* v, std::size_t n, const char* what) {
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(v[i]))
      throw CodedError("FLOW_NONFINITE", what,
                       std::string("the flow produced a non-finite ") + what +
                           " (its weights or whitening are unusable; retrain or reset it)");
}

double logStdNormal(const double* z, int d) {
  double s = 0;
  for (int j = 0; j < d; ++j) s += z[j] * z[j];
  return -0.5 * (s + d * kLog2Pi);
}
}  // namespace

FlowCore::FlowCore(const FlowConfig& config) {
  // The binding and the reader check these with field names; this is the backstop.
  if (config.dim < 1 || config.dim > kMaxDim) throw std::range_error("dim must be in [1, " + std::to_string(kMaxDim) + "]");
  if (config.hidden.empty() || config.hidden.size() > static_cast<std::size_t>(kMaxLayers))
    throw std::range_error("hidden must list 1 to " + std::to_string(kMaxLayers) + " layer widths");
  for (int h : config.hidden)
    if (h < 1 || h > kMaxWidth) throw std::range_error("hidden widths must be in [1, " + std::to_string(kMaxWidth) + "]");
  if (config.timeFreqs < 0 || config.timeFreqs > kMaxTimeFreqs)
    throw std::range_error("timeFreqs must be in [0, " + std::to_string(kMaxTimeFreqs) + "]");
  shape_.dim = config.dim;
  shape_.hidden = config.hidden;
  shape_.timeFreqs = config.timeFreqs;
  backend_ = makeBackend(config.backend, config.threads);
  mean_.assign(shape_.dim, 0.0);
  chol_.assign(static_cast<std::size_t>(shape_.dim) * shape_.dim, 0.0);
  for (int j = 0; j < shape_.dim; ++j) chol_[j * shape_.dim + j] = 1.0;
  reset(config.seed);
}

void FlowCore::reset(std::uint64_t seed) {
  rng_.seed(seed);
  initParams(shape_, rng_.next(), params_);
  adam_ = AdamState{};
}

void FlowCore::setWhitening(const double* x, int n) {
  const int d = shape_.dim;
  std::vector<double> mean(d, 0.0), cov(static_cast<std::size_t>(d) * d, 0.0);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < d; ++j) mean[j] += x[i * d + j];
  for (int j = 0; j < d; ++j) mean[j] /= n;
  for (int i = 0; i < n; ++i)
    for (int a = 0; a < d; ++a) {
      const double da = x[i * d + a] - mean[a];
      for (int b = 0; b <= a; ++b) cov[a * d + b] += da * (x[i * d + b] - mean[b]);
    }
  double traceCov = 0;
  for (int a = 0; a < d; ++a) {
    for (int b = 0; b <= a; ++b) cov[a * d + b] /= std::max(1, n - 1);
    traceCov += cov[a * d + a];
  }
  if (!(traceCov > 0) || !std::isfinite(traceCov))
    throw std::range_error("points: all training points coincide (zero covariance)");
  // Cholesky; on failure (degenerate set) add a growing ridge.
  std::vector<double> L(static_cast<std::size_t>(d) * d);
  for (double ridge = 0;; ridge = ridge == 0 ? 1e-10 * traceCov / d : ridge * 10) {
    std::fill(L.begin(), L.end(), 0.0);
    bool ok = true;
    for (int a = 0; a < d && ok; ++a)
      for (int b = 0; b <= a; ++b) {
        double s = cov[a * d + b] + (a == b ? ridge : 0.0);
        for (int k = 0; k < b; ++k) s -= L[a * d + k] * L[b * d + k];
        if (a == b) {
          if (!(s > 0)) {
            ok = false;
            break;
          }
          L[a * d + a] = std::sqrt(s);
        } else {
          L[a * d + b] = s / L[b * d + b];
        }
      }
    if (ok) break;
    if (ridge > traceCov) throw std::range_error("points: covariance is not positive definite");
  }
  mean_ = mean;
  chol_ = L;
  logDetChol_ = 0;
  for (int a = 0; a < d; ++a) logDetChol_ += std::log(L[a * d + a]);
}

void FlowCore::toWhite(const double* x, double* y, int n) const {
  const int d = shape_.dim;
  for (int i = 0; i < n; ++i) {
    const double* xi = x + static_cast<std::size_t>(i) * d;
    double* yi = y + static_cast<std::size_t>(i) * d;
    for (int a = 0; a < d; ++a) {
      double s = xi[a] - mean_[a];
      for (int k = 0; k < a; ++k) s -= chol_[a * d + k] * yi[k];
      yi[a] = s / chol_[a * d + a];
    }
  }
}

void FlowCore::fromWhite(const double* y, double* x, int n) const {
  const int d = shape_.dim;
  for (int i = 0; i < n; ++i) {
    const double* yi = y + static_cast<std::size_t>(i) * d;
    double* xi = x + static_cast<std::size_t>(i) * d;
    for (int a = 0; a < d; ++a) {
      double s = mean_[a];
      for (int k = 0; k <= a; ++k) s += chol_[a * d + k] * yi[k];
      xi[a] = s;
    }
  }
}

TrainResult FlowCore::train(const double* x, int n, const TrainOptions& options) {
  const int d = shape_.dim;
  if (options.updateWhitening || adam_.step == 0) setWhitening(x, n);
  // Shuffle so the held-out part is a random subset.
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  for (int i = n - 1; i > 0; --i) std::swap(order[i], order[rng_.below(i + 1)]);
  std::vector<double> shuffled(static_cast<std::size_t>(n) * d), white(shuffled.size());
  for (int i = 0; i < n; ++i)
    std::memcpy(&shuffled[static_cast<std::size_t>(i) * d], x + static_cast<std::size_t>(order[i]) * d,
                sizeof(double) * d);
  toWhite(shuffled.data(), white.data(), n);
  int nValidation = static_cast<int>(std::floor(n * options.validationFraction));
  if (n - nValidation < 1) nValidation = n - 1;
  // Training that diverges leaves the flow as it was, not full of NaN.
  const std::vector<float> paramsBefore = params_;
  const AdamState adamBefore = adam_;
  TrainResult result = backend_->train(shape_, params_, adam_, white.data(), n - nValidation,
                                       nValidation, options.spec, rng_.next());
  for (float p : params_)
    if (!std::isfinite(p)) {
      params_ = paramsBefore;
      adam_ = adamBefore;
      throw CodedError("FLOW_DIVERGED", "params",
                       "training diverged (non-finite weights); the flow is left as it was before this call");
    }
  return result;
}

void FlowCore::sample(int n, const OdeSpec& ode, double* x, double* logProb, double* z) {
  const int d = shape_.dim;
  std::vector<double> y(static_cast<std::size_t>(n) * d), integral(n);
  for (auto& v : y) v = ode.baseScale * rng_.normal();
  std::vector<double> logBase(n);
  for (int i = 0; i < n; ++i) logBase[i] = logStdNormal(&y[static_cast<std::size_t>(i) * d], d);
  if (z) std::memcpy(z, y.data(), sizeof(double) * y.size());
  OdeSpec spec = ode;
  spec.t0 = 0.0;
  spec.t1 = 1.0;
  backend_->integrate(shape_, params_, y.data(), integral.data(), n, spec, rng_.next());
  fromWhite(y.data(), x, n);
  // log q(x) = log N(z) - ∫_0^1 tr dt - log|det chol|
  for (int i = 0; i < n; ++i) logProb[i] = logBase[i] - integral[i] - logDetChol_;
  requireFiniteOutput(x, static_cast<std::size_t>(n) * d, "sample");
  requireFiniteOutput(logProb, n, "log density");
}

void FlowCore::logProb(const double* x, int n, const OdeSpec& ode, double* logProb, double* z) {
  const int d = shape_.dim;
  std::vector<double> y(static_cast<std::size_t>(n) * d), integral(n);
  toWhite(x, y.data(), n);
  OdeSpec spec = ode;
  spec.t0 = 1.0;
  spec.t1 = 0.0;
  backend_->integrate(shape_, params_, y.data(), integral.data(), n, spec, rng_.next());
  // Backwards the integral is ∫_1^0 tr dt = -∫_0^1 tr dt.
  for (int i = 0; i < n; ++i)
    logProb[i] = logStdNormal(&y[static_cast<std::size_t>(i) * d], d) + integral[i] - logDetChol_;
  for (int i = 0; i < n; ++i)
    if (std::isnan(logProb[i])) requireFiniteOutput(&logProb[i], 1, "log density");
  if (z) std::memcpy(z, y.data(), sizeof(double) * y.size());
}

void FlowCore::field(const double* y, int n, double t, double* v, double* trace) {
  backend_->field(shape_, params_, y, t, v, trace, n);
}

double FlowCore::cfmLoss(const double* xt, const double* t, const double* target, int n,
                         std::vector<double>* grad) {
  const int d = shape_.dim;
  std::vector<float> fx(xt, xt + static_cast<std::size_t>(n) * d), ft(t, t + n),
      fy(target, target + static_cast<std::size_t>(n) * d);
  std::vector<float> g(grad ? params_.size() : 0);
  const double loss = backend_->cfmLoss(shape_, params_, fx.data(), ft.data(), fy.data(), n,
                                        grad ? g.data() : nullptr);
  if (grad) grad->assign(g.begin(), g.end());
  return loss;
}

}  // namespace nestflow
