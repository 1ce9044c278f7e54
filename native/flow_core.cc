#include "flow_core.h"

#include <cmath>
#include <cstring>
#include <numeric>
#include <stdexcept>
#include <string>

namespace nestflow {

namespace {
constexpr double kLog2Pi = 1.8378770664093454836;

double logStdNormal(const double* z, int d) {
  double s = 0;
  for (int j = 0; j < d; ++j) s += z[j] * z[j];
  return -0.5 * (s + d * kLog2Pi);
}
}  // namespace

FlowCore::FlowCore(const FlowConfig& config) {
  if (config.dim < 1) throw std::range_error("dim must be >= 1");
  if (config.hidden.empty()) throw std::range_error("hidden must list at least one layer width");
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
  return backend_->train(shape_, params_, adam_, white.data(), n - nValidation, nValidation,
                         options.spec, rng_.next());
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

// ---- serialisation ---------------------------------------------------------
// Layout (little-endian): "NESTFLOW" magic, u32 version, u32 dim, u32 timeFreqs,
// u32 nHidden, u32 hidden[nHidden], u64 adamStep, u64 rng[4], f64 mean[dim],
// f64 chol[dim*dim], f32 params[P], f32 adamM[P], f32 adamV[P], u32 FNV-1a of
// everything before it.

namespace {
constexpr char kMagic[8] = {'N', 'E', 'S', 'T', 'F', 'L', 'O', 'W'};

std::uint32_t fnv1a(const std::uint8_t* p, std::size_t n) {
  std::uint32_t h = 2166136261u;
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 16777619u;
  }
  return h;
}

class Writer {
 public:
  template <typename T>
  void put(const T& v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(&v);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  template <typename T>
  void putArray(const std::vector<T>& v) {
    const auto* p = reinterpret_cast<const std::uint8_t*>(v.data());
    bytes.insert(bytes.end(), p, p + sizeof(T) * v.size());
  }
  std::vector<std::uint8_t> bytes;
};

class Reader {
 public:
  Reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  template <typename T>
  T get() {
    need(sizeof(T));
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <typename T>
  void getArray(std::vector<T>& v, std::size_t count) {
    need(sizeof(T) * count);
    v.resize(count);
    std::memcpy(v.data(), p_ + pos_, sizeof(T) * count);
    pos_ += sizeof(T) * count;
  }
  std::size_t pos() const { return pos_; }

 private:
  void need(std::size_t k) {
    if (pos_ + k > n_) throw std::range_error("bytes: truncated flow data");
  }
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
};
}  // namespace

std::vector<std::uint8_t> FlowCore::save() const {
  Writer w;
  for (char c : kMagic) w.put(c);
  w.put<std::uint32_t>(kFormatVersion);
  w.put<std::uint32_t>(shape_.dim);
  w.put<std::uint32_t>(shape_.timeFreqs);
  w.put<std::uint32_t>(static_cast<std::uint32_t>(shape_.hidden.size()));
  for (int h : shape_.hidden) w.put<std::uint32_t>(h);
  w.put<std::uint64_t>(adam_.step);
  for (auto s : rng_.state) w.put<std::uint64_t>(s);
  w.putArray(mean_);
  w.putArray(chol_);
  w.putArray(params_);
  std::vector<float> m = adam_.m, v = adam_.v;
  m.resize(params_.size(), 0.0f);
  v.resize(params_.size(), 0.0f);
  w.putArray(m);
  w.putArray(v);
  w.put<std::uint32_t>(fnv1a(w.bytes.data(), w.bytes.size()));
  return w.bytes;
}

std::unique_ptr<FlowCore> FlowCore::load(const std::uint8_t* bytes, std::size_t size, int threads,
                                         const std::string& backend) {
  Reader r(bytes, size);
  for (char c : kMagic)
    if (r.get<char>() != c) throw std::range_error("bytes: not a nestflow flow (bad magic)");
  const auto version = r.get<std::uint32_t>();
  if (version != kFormatVersion)
    throw std::range_error("bytes: unsupported flow format version " + std::to_string(version) +
                           " (this build reads " + std::to_string(kFormatVersion) + ")");
  if (size < 4 || fnv1a(bytes, size - 4) != [&] {
        std::uint32_t c;
        std::memcpy(&c, bytes + size - 4, 4);
        return c;
      }())
    throw std::range_error("bytes: checksum mismatch (corrupt flow data)");
  FlowConfig config;
  config.dim = static_cast<int>(r.get<std::uint32_t>());
  config.timeFreqs = static_cast<int>(r.get<std::uint32_t>());
  const auto nHidden = r.get<std::uint32_t>();
  if (config.dim < 1 || config.dim > 100000 || nHidden < 1 || nHidden > 64 || config.timeFreqs > 1024)
    throw std::range_error("bytes: implausible flow shape");
  config.hidden.clear();
  for (std::uint32_t i = 0; i < nHidden; ++i) {
    const auto h = r.get<std::uint32_t>();
    if (h < 1 || h > 65536) throw std::range_error("bytes: implausible layer width");
    config.hidden.push_back(static_cast<int>(h));
  }
  config.threads = threads;
  config.backend = backend;
  auto flow = std::make_unique<FlowCore>(config);
  flow->adam_.step = r.get<std::uint64_t>();
  for (auto& s : flow->rng_.state) s = r.get<std::uint64_t>();
  const std::size_t d = config.dim, P = flow->shape_.paramCount();
  r.getArray(flow->mean_, d);
  r.getArray(flow->chol_, d * d);
  r.getArray(flow->params_, P);
  r.getArray(flow->adam_.m, P);
  r.getArray(flow->adam_.v, P);
  r.get<std::uint32_t>();
  if (r.pos() != size) throw std::range_error("bytes: trailing data after the flow");
  flow->logDetChol_ = 0;
  for (std::size_t a = 0; a < d; ++a) {
    const double v = flow->chol_[a * d + a];
    if (!(v > 0)) throw std::range_error("bytes: whitening matrix is not positive definite");
    flow->logDetChol_ += std::log(v);
  }
  return flow;
}

}  // namespace nestflow
