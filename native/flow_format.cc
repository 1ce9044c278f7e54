// The flow file: FlowCore::save and the reader that trusts nothing in it.
//
// Layout (little-endian): "NESTFLOW" magic, u32 version, u32 dim,
// u32 timeFreqs, u32 nHidden, u32 hidden[nHidden], u64 adamStep, u64 rng[4],
// f64 mean[dim], f64 chol[dim*dim], f32 params[P], f32 adamM[P],
// f32 adamV[P], u32 FNV-1a of everything before it.
//
// The checksum only catches accidents (anyone can recompute it), so the
// reader checks every field against the constructor's limits and the file's
// length against the sizes the header implies before it allocates anything,
// and every array for values the maths cannot take.
#include <cmath>
#include <cstring>
#include <string>

#include "flow_core.h"
#include "coded_error.h"
#include "limits.h"

namespace nestflow {

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

// Reads fields in order; the caller has checked the total length first, so
// running short here means the reader and the layout disagree.
class Reader {
 public:
  Reader(const std::uint8_t* p, std::size_t n) : p_(p), n_(n) {}
  template <typename T>
  T get(const char* field) {
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, p_ + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  template <typename T>
  void getArray(std::vector<T>& v, std::size_t count, const char* field) {
    need(sizeof(T) * count, field);
    v.resize(count);
    if (count) std::memcpy(v.data(), p_ + pos_, sizeof(T) * count);
    pos_ += sizeof(T) * count;
  }
  std::size_t pos() const { return pos_; }

 private:
  void need(std::size_t k, const char* field) {
    if (k > n_ - pos_)
      throw CodedError("FLOW_TRUNCATED", field,
                            std::string("bytes: flow data ends inside ") + field);
  }
  const std::uint8_t* p_;
  std::size_t n_;
  std::size_t pos_ = 0;
};

[[noreturn]] void bad(const char* code, const std::string& field, const std::string& what) {
  throw CodedError(code, field, "bytes: " + field + " " + what);
}

// An unsigned header field in [lo, hi].
std::uint32_t field32(Reader& r, const std::string& name, std::uint32_t lo, std::uint32_t hi) {
  const auto v = r.get<std::uint32_t>(name.c_str());
  if (v < lo || v > hi)
    bad("FLOW_FIELD", name,
        "is " + std::to_string(v) + ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

template <typename T>
void requireFinite(const std::vector<T>& v, const char* field) {
  for (std::size_t i = 0; i < v.size(); ++i)
    if (!std::isfinite(v[i]))
      bad("FLOW_NOT_FINITE", std::string(field) + "[" + std::to_string(i) + "]",
          std::isnan(v[i]) ? "is NaN" : "is infinite");
}
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
  if (size < sizeof kMagic || std::memcmp(bytes, kMagic, sizeof kMagic) != 0)
    throw CodedError("FLOW_FOREIGN", "magic", "bytes: not a nestflow flow (bad magic)");
  for (std::size_t i = 0; i < sizeof kMagic; ++i) r.get<char>("magic");
  const auto version = r.get<std::uint32_t>("version");
  if (version != kFormatVersion)
    throw CodedError("FLOW_VERSION", "version",
                          "bytes: unsupported flow format version " + std::to_string(version) +
                              " (this build reads " + std::to_string(kFormatVersion) + ")");
  // The shape, within the constructor's limits.
  NetShape shape;
  shape.dim = static_cast<int>(field32(r, "dim", 1, kMaxDim));
  shape.timeFreqs = static_cast<int>(field32(r, "timeFreqs", 0, kMaxTimeFreqs));
  const auto nHidden = field32(r, "nHidden", 1, kMaxLayers);
  for (std::uint32_t i = 0; i < nHidden; ++i)
    shape.hidden.push_back(
        static_cast<int>(field32(r, "hidden[" + std::to_string(i) + "]", 1, kMaxWidth)));
  // The length the shape implies, before anything is allocated (the limits
  // keep this sum far from overflowing 64 bits).
  const std::uint64_t d = static_cast<std::uint64_t>(shape.dim), P = shape.paramCount();
  const std::uint64_t expected = r.pos() + 8 + 4 * 8 + 8 * d + 8 * d * d + 3 * 4 * P + 4;
  if (size < expected)
    throw CodedError("FLOW_TRUNCATED", "length",
                          "bytes: flow data is truncated (" + std::to_string(size) +
                              " bytes; its header implies " + std::to_string(expected) + ")");
  if (size > expected)
    throw CodedError("FLOW_TRAILING", "length",
                          "bytes: " + std::to_string(size - expected) +
                              " bytes of trailing data after the flow");
  std::uint32_t stored;
  std::memcpy(&stored, bytes + size - 4, 4);
  if (fnv1a(bytes, size - 4) != stored)
    throw CodedError("FLOW_CHECKSUM", "checksum", "bytes: checksum mismatch (corrupt flow data)");

  const auto adamStep = r.get<std::uint64_t>("adamStep");
  if (adamStep > kMaxAdamStep)
    bad("FLOW_FIELD", "adamStep", "is " + std::to_string(adamStep) + ", above " + std::to_string(kMaxAdamStep));
  std::uint64_t rng[4];
  for (auto& s : rng) s = r.get<std::uint64_t>("rng");
  if ((rng[0] | rng[1] | rng[2] | rng[3]) == 0)
    bad("FLOW_FIELD", "rng", "is all zero (the generator would never leave that state)");

  FlowConfig config;
  config.dim = shape.dim;
  config.timeFreqs = shape.timeFreqs;
  config.hidden = shape.hidden;
  config.threads = threads;
  config.backend = backend;
  auto flow = std::make_unique<FlowCore>(config);
  flow->adam_.step = adamStep;
  for (int k = 0; k < 4; ++k) flow->rng_.state[k] = rng[k];
  r.getArray(flow->mean_, d, "mean");
  r.getArray(flow->chol_, d * d, "chol");
  r.getArray(flow->params_, P, "params");
  r.getArray(flow->adam_.m, P, "adamM");
  r.getArray(flow->adam_.v, P, "adamV");
  requireFinite(flow->mean_, "mean");
  requireFinite(flow->chol_, "chol");
  requireFinite(flow->params_, "params");
  requireFinite(flow->adam_.m, "adamM");
  requireFinite(flow->adam_.v, "adamV");
  // Far beyond anything training makes (weights are O(1), Adam's moments
  // are clipped gradients), well before float32 overflows in a forward pass.
  const auto bounded = [](const std::vector<float>& v, const char* field, double lo, double hi) {
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!(v[i] >= lo && v[i] <= hi))
        bad("FLOW_FIELD", std::string(field) + "[" + std::to_string(i) + "]",
            "is " + std::to_string(v[i]) + ", outside [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  };
  bounded(flow->params_, "params", -kMaxParam, kMaxParam);
  bounded(flow->adam_.m, "adamM", -kMaxParam, kMaxParam);
  bounded(flow->adam_.v, "adamV", 0, kMaxParam * kMaxParam);
  // The whitening factor: lower-triangular with a positive, representable diagonal.
  flow->logDetChol_ = 0;
  for (std::size_t a = 0; a < d; ++a) {
    for (std::size_t b = a + 1; b < d; ++b)
      if (flow->chol_[a * d + b] != 0)
        bad("FLOW_FIELD", "chol[" + std::to_string(a * d + b) + "]", "is above the diagonal of a lower-triangular factor");
    const double v = flow->chol_[a * d + a];
    if (!(v >= 1e-100 && v <= 1e100))
      bad("FLOW_FIELD", "chol[" + std::to_string(a * d + a) + "]",
          "is a diagonal entry outside [1e-100, 1e100] (the whitening must be positive definite)");
    flow->logDetChol_ += std::log(v);
  }
  return flow;
}

}  // namespace nestflow
