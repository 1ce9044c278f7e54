// FlowHandle: the raw N-API surface of a flow (typed once in lib/native.ts).
// Options are parsed on the main thread into plain structs; workers touch
// only those structs and copies of the input arrays.
#include "flow_binding.h"

#include <chrono>
#include <cstring>
#include <memory>
#include <mutex>

#include "coded_error.h"
#include "flow_core.h"
#include "gemm.h"
#include "limits.h"
#include "napi_util.h"
#include "rng.h"
#include "thread_pool.h"
#include "vecmath.h"

namespace nestflow {
namespace {

class FlowHandle : public Napi::ObjectWrap<FlowHandle> {
 public:
  static Napi::Function define(Napi::Env env) {
    return DefineClass(env, "FlowHandle",
                       {InstanceMethod<&FlowHandle::train>("train"),
                        InstanceMethod<&FlowHandle::checkTrainOptions>("checkTrainOptions"),
                        InstanceMethod<&FlowHandle::sample>("sample"),
                        InstanceMethod<&FlowHandle::logProb>("logProb"),
                        InstanceMethod<&FlowHandle::field>("field"),
                        InstanceMethod<&FlowHandle::cfmLoss>("cfmLoss"),
                        InstanceMethod<&FlowHandle::getParams>("getParams"),
                        InstanceMethod<&FlowHandle::setParams>("setParams"),
                        InstanceMethod<&FlowHandle::whitening>("whitening"),
                        InstanceMethod<&FlowHandle::save>("save"),
                        InstanceMethod<&FlowHandle::reset>("reset"),
                        InstanceMethod<&FlowHandle::info>("info"),
                        StaticMethod<&FlowHandle::load>("load")});
  }

  explicit FlowHandle(const Napi::CallbackInfo& info) : Napi::ObjectWrap<FlowHandle>(info) {
    Napi::Env env = info.Env();
    if (info.Length() >= 1 && info[0].IsExternal()) {
      core_ = *info[0].As<Napi::External<std::shared_ptr<FlowCore>>>().Data();
      return;
    }
    try {
      if (info.Length() < 1 || !info[0].IsObject())
        throw ArgError{false, "config must be an object"};
      Options o(info[0], "config");
      FlowConfig config;
      if (!o.has("dim")) throw ArgError{false, "config.dim must be a number"};
      config.dim = static_cast<int>(readInt(o.get("dim"), "config.dim", 1, kMaxDim));
      if (o.has("hidden")) {
        Napi::Value h = o.get("hidden");
        if (!h.IsArray()) throw ArgError{false, "config.hidden must be an array of layer widths"};
        auto arr = h.As<Napi::Array>();
        if (arr.Length() < 1 || arr.Length() > static_cast<std::uint32_t>(kMaxLayers))
          throw ArgError{true, "config.hidden must have 1 to " + std::to_string(kMaxLayers) + " layers"};
        config.hidden.clear();
        for (uint32_t i = 0; i < arr.Length(); ++i) {
          const std::string f = "config.hidden[" + std::to_string(i) + "]";
          config.hidden.push_back(static_cast<int>(readInt(arr.Get(i), f.c_str(), 1, kMaxWidth)));
        }
      }
      o.integer("timeFreqs", config.timeFreqs, 0, kMaxTimeFreqs);
      if (o.has("seed"))
        config.seed = static_cast<std::uint64_t>(readInt(o.get("seed"), "config.seed", 0, (1LL << 53) - 1));
      o.integer("threads", config.threads, 0, 1024);
      if (o.has("backend")) config.backend = readBackendName(o.get("backend"), "config.backend");
      core_ = std::make_shared<FlowCore>(config);
    } catch (const ArgError& e) {
      throwArgError(env, e);
    } catch (const CodedError& e) {
      throwCodedError(env, e);
    } catch (const std::exception& e) {
      Napi::RangeError::New(env, e.what()).ThrowAsJavaScriptException();
    }
  }

 private:
  // Sync entries refuse (rather than block the event loop) while a long call runs.
  std::unique_lock<std::mutex> lockNow() {
    std::unique_lock<std::mutex> lock(core_->mutex, std::try_to_lock);
    if (!lock.owns_lock())
      throw ArgError{false, "flow is busy: await the pending train/sample/logProb call first"};
    return lock;
  }

  std::vector<double> readPoints(const Napi::Value& v, const char* name, int& n) {
    auto pts = readFloat64Array(v, name);
    const int d = core_->dim();
    if (pts.empty()) throw ArgError{true, std::string(name) + " is empty"};
    if (pts.size() % d != 0)
      throw ArgError{true, std::string(name) + " length " + std::to_string(pts.size()) +
                               " is not a multiple of dim " + std::to_string(d)};
    if (pts.size() > kMaxBatchValues)
      throw ArgError{true, std::string(name) + " holds " + std::to_string(pts.size()) + " values, more than the " +
                               std::to_string(kMaxBatchValues) + " one call takes: pass it in batches"};
    n = static_cast<int>(pts.size() / d);
    return pts;
  }

  static OdeSpec readOde(const Napi::Value& v) {
    Options o(v, "options");
    OdeSpec spec;
    o.integer("steps", spec.steps, 1, 100000);
    if (o.has("trace")) {
      Napi::Value t = o.get("trace");
      const std::string mode = t.IsString() ? t.As<Napi::String>().Utf8Value() : "";
      if (mode == "exact")
        spec.trace = TraceMode::Exact;
      else if (mode == "hutchinson")
        spec.trace = TraceMode::Hutchinson;
      else
        throw ArgError{!t.IsString() ? false : true, "options.trace must be 'exact' or 'hutchinson'"};
    }
    o.integer("probes", spec.probes, 1, 1024);
    o.number("baseScale", spec.baseScale, 1e-3, 1e3);
    return spec;
  }

  static TrainOptions readTrainOptions(const Napi::Value& value) {
    Options o(value, "options");
    TrainOptions opt;
    TrainSpec& s = opt.spec;
    o.integer("steps", s.steps, 0, 10000000);
    o.integer("batchSize", s.batchSize, 1, 1000000);
    o.number("learningRate", s.learningRate, 0, 1);
    o.number("minLearningRateRatio", s.minLearningRateRatio, 0, 1);
    o.number("weightDecay", s.weightDecay, 0, 1);
    o.number("clipNorm", s.clipNorm, 0, 1e30);
    o.number("sigma", s.sigma, 0, 10);
    o.integer("evalEvery", s.evalEvery, 1, 10000000);
    o.integer("patience", s.patience, 0, 1000000);
    o.number("validationFraction", opt.validationFraction, 0, 0.9);
    o.boolean("updateWhitening", opt.updateWhitening);
    return opt;
  }

  // Validates training options without training (lets the TS layer throw
  // synchronously before it queues the call).
  Napi::Value checkTrainOptions(const Napi::CallbackInfo& info) {
    try {
      readTrainOptions(info[0]);
      return info.Env().Undefined();
    } catch (const ArgError& e) {
      return throwArgError(info.Env(), e);
    }
  }

  Napi::Value train(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      int n = 0;
      auto points = readPoints(info[0], "points", n);
      if (n < 2) throw ArgError{true, "points must hold at least 2 points"};
      const TrainOptions opt = readTrainOptions(info[1]);
      auto core = core_;
      auto result = std::make_shared<TrainResult>();
      return PromiseWorker::start(
          env,
          [core, points = std::move(points), n, opt, result] {
            std::lock_guard<std::mutex> lock(core->mutex);
            *result = core->train(points.data(), n, opt);
          },
          [result](Napi::Env env) -> Napi::Value {
            auto out = Napi::Object::New(env);
            out.Set("loss", toFloat64Array(env, result->loss));
            out.Set("validationLoss", toFloat64Array(env, result->validationLoss));
            out.Set("stepsRun", result->stepsRun);
            out.Set("bestStep", result->bestStep);
            out.Set("seconds", result->seconds);
            return out;
          });
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value sample(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      auto core = core_;
      const std::size_t d = core->dim();
      // n × dim values in each of x and z, plus the solver's copy: capped before anything is allocated.
      const int n = static_cast<int>(readInt(info[0], "n", 1, static_cast<long long>(kMaxBatchValues / d)));
      const OdeSpec spec = readOde(info[1]);
      struct Out {
        std::vector<double> x, logProb, z;
      };
      auto out = std::make_shared<Out>();
      return PromiseWorker::start(
          env,
          [core, n, spec, out, d] {
            out->x.resize(n * d);
            out->z.resize(n * d);
            out->logProb.resize(n);
            std::lock_guard<std::mutex> lock(core->mutex);
            core->sample(n, spec, out->x.data(), out->logProb.data(), out->z.data());
          },
          [out](Napi::Env env) -> Napi::Value {
            auto o = Napi::Object::New(env);
            o.Set("x", toFloat64Array(env, out->x));
            o.Set("logProb", toFloat64Array(env, out->logProb));
            o.Set("z", toFloat64Array(env, out->z));
            return o;
          });
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value logProb(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      int n = 0;
      auto x = readPoints(info[0], "x", n);
      const OdeSpec spec = readOde(info[1]);
      auto core = core_;
      struct Out {
        std::vector<double> logProb, z;
      };
      auto out = std::make_shared<Out>();
      return PromiseWorker::start(
          env,
          [core, x = std::move(x), n, spec, out] {
            out->logProb.resize(n);
            out->z.resize(x.size());
            std::lock_guard<std::mutex> lock(core->mutex);
            core->logProb(x.data(), n, spec, out->logProb.data(), out->z.data());
          },
          [out](Napi::Env env) -> Napi::Value {
            auto o = Napi::Object::New(env);
            o.Set("logProb", toFloat64Array(env, out->logProb));
            o.Set("z", toFloat64Array(env, out->z));
            return o;
          });
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value field(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      int n = 0;
      auto y = readPoints(info[0], "y", n);
      const double t = readNumber(info[1], "t");
      auto lock = lockNow();
      std::vector<double> v(y.size()), trace(n);
      core_->field(y.data(), n, t, v.data(), trace.data());
      auto o = Napi::Object::New(env);
      o.Set("v", toFloat64Array(env, v));
      o.Set("trace", toFloat64Array(env, trace));
      return o;
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value cfmLoss(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      int n = 0;
      auto xt = readPoints(info[0], "xt", n);
      auto t = readFloat64Array(info[1], "t");
      int nTarget = 0;
      auto target = readPoints(info[2], "target", nTarget);
      if (static_cast<int>(t.size()) != n)
        throw ArgError{true, "t length " + std::to_string(t.size()) + " must equal the number of points " + std::to_string(n)};
      if (nTarget != n) throw ArgError{true, "target must have as many points as xt"};
      const bool wantGrad = info.Length() > 3 && info[3].ToBoolean().Value();
      auto lock = lockNow();
      std::vector<double> grad;
      const double loss = core_->cfmLoss(xt.data(), t.data(), target.data(), n, wantGrad ? &grad : nullptr);
      auto o = Napi::Object::New(env);
      o.Set("loss", loss);
      if (wantGrad) o.Set("grad", toFloat64Array(env, grad));
      return o;
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value getParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      auto lock = lockNow();
      const auto& p = core_->params();
      return toFloat64Array(env, std::vector<double>(p.begin(), p.end()));
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value setParams(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      auto p = readFloat64Array(info[0], "params");
      for (std::size_t i = 0; i < p.size(); ++i)
        if (std::fabs(p[i]) > 3.4e38)
          throw ArgError{true, "params[" + std::to_string(i) + "] does not fit a float32"};
      auto lock = lockNow();
      if (p.size() != core_->params().size())
        throw ArgError{true, "params length " + std::to_string(p.size()) + " must be " +
                                 std::to_string(core_->params().size())};
      core_->setParams(std::vector<float>(p.begin(), p.end()));
      return env.Undefined();
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value whitening(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      auto lock = lockNow();
      auto o = Napi::Object::New(env);
      o.Set("mean", toFloat64Array(env, core_->mean()));
      o.Set("chol", toFloat64Array(env, core_->chol()));
      o.Set("logDet", core_->logDetChol());
      return o;
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value save(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      auto lock = lockNow();
      const auto bytes = core_->save();
      auto arr = Napi::Uint8Array::New(env, bytes.size());
      std::memcpy(arr.Data(), bytes.data(), bytes.size());
      return arr;
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  static Napi::Value load(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      if (!info[0].IsTypedArray() ||
          info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array)
        throw ArgError{false, "bytes must be a Uint8Array"};
      auto bytes = info[0].As<Napi::Uint8Array>();
      int threads = 0;
      if (info.Length() > 1 && !info[1].IsUndefined())
        threads = static_cast<int>(readInt(info[1], "threads", 0, 1024));
      std::string backend = "auto";
      if (info.Length() > 2 && !info[2].IsUndefined()) backend = readBackendName(info[2], "backend");
      std::shared_ptr<FlowCore> core;
      try {
        core = FlowCore::load(bytes.Data(), bytes.ByteLength(), threads, backend);
      } catch (const CodedError& e) {
        return throwCodedError(env, e);
      } catch (const std::exception& e) {
        throw ArgError{true, e.what()};
      }
      auto ctor = env.GetInstanceData<Napi::FunctionReference>();
      return ctor->New({Napi::External<std::shared_ptr<FlowCore>>::New(env, &core)});
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value reset(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    try {
      const auto seed = static_cast<std::uint64_t>(readInt(info[0], "seed", 0, (1LL << 53) - 1));
      auto lock = lockNow();
      core_->reset(seed);
      return env.Undefined();
    } catch (const ArgError& e) {
      return throwArgError(env, e);
    }
  }

  Napi::Value info(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    const NetShape& s = core_->shape();
    auto o = Napi::Object::New(env);
    const BackendInfo b = core_->backend().info();
    o.Set("backend", b.name);
    o.Set("threads", b.threads);
    if (!b.device.empty()) o.Set("device", b.device);
    if (!b.note.empty()) o.Set("backendNote", b.note);
    o.Set("dim", s.dim);
    auto hidden = Napi::Array::New(env, s.hidden.size());
    for (std::size_t i = 0; i < s.hidden.size(); ++i) hidden.Set(static_cast<uint32_t>(i), s.hidden[i]);
    o.Set("hidden", hidden);
    o.Set("timeFreqs", s.timeFreqs);
    o.Set("paramCount", static_cast<double>(s.paramCount()));
    o.Set("forwardFlops", 2.0 * s.forwardMacs());
    o.Set("trainingSteps", static_cast<double>(core_->trainingSteps()));
    o.Set("formatVersion", FlowCore::kFormatVersion);
    return o;
  }

  std::shared_ptr<FlowCore> core_;
};

// ---- testing and benchmark entries ----------------------------------------

// Max |fast - reference| / max|reference| for a random product; transA runs
// the strided (transposed) A path used by the weight gradients.
Napi::Value sgemmCheck(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const int m = static_cast<int>(readInt(info[0], "m", 1, 4096));
    const int n = static_cast<int>(readInt(info[1], "n", 1, 4096));
    const int k = static_cast<int>(readInt(info[2], "k", 1, 4096));
    const bool transA = info.Length() > 3 && info[3].ToBoolean().Value();
    GemmImpl impl = GemmImpl::Auto;
    if (info.Length() > 4 && !info[4].IsUndefined()) {
      const std::string name = info[4].IsString() ? info[4].As<Napi::String>().Utf8Value() : "";
      if (name == "portable") impl = GemmImpl::Portable;
      else if (name == "avx2") impl = GemmImpl::Avx2;
      else if (name != "auto") throw ArgError{false, "kernel must be 'auto', 'avx2' or 'portable'"};
    }
    Rng rng(12345 + m * 7 + n * 13 + k);
    std::vector<float> a(static_cast<std::size_t>(m) * k), b(static_cast<std::size_t>(k) * n);
    for (auto& v : a) v = static_cast<float>(rng.normal());
    for (auto& v : b) v = static_cast<float>(rng.normal());
    MatView av = transA ? MatView{a.data(), 1, m} : MatView{a.data(), k, 1};
    MatView bv{b.data(), n, 1};
    std::vector<float> c(static_cast<std::size_t>(m) * n, 0.5f), ref(c);
    GemmScratch scratch;
    sgemm(m, n, k, av, bv, c.data(), n, true, scratch, impl);
    sgemm(m, n, k, av, bv, ref.data(), n, true, scratch, GemmImpl::Reference);
    double maxErr = 0, maxRef = 0;
    for (std::size_t i = 0; i < c.size(); ++i) {
      maxErr = std::max(maxErr, static_cast<double>(std::fabs(c[i] - ref[i])));
      maxRef = std::max(maxRef, static_cast<double>(std::fabs(ref[i])));
    }
    auto o = Napi::Object::New(env);
    o.Set("maxAbsError", maxErr);
    o.Set("maxAbsReference", maxRef);
    o.Set("kernel", gemmKernelName(impl));
    return o;
  } catch (const ArgError& e) {
    return throwArgError(env, e);
  }
}

// Times the layer products as the network runs them: rows split in chunks
// of 128 over a pool of `threads`, C[rows x n] = A[rows x k] W^T.
Napi::Value benchGemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const int rows = static_cast<int>(readInt(info[0], "rows", 1, 1 << 24));
    const int n = static_cast<int>(readInt(info[1], "n", 1, 8192));
    const int k = static_cast<int>(readInt(info[2], "k", 1, 8192));
    const int reps = static_cast<int>(readInt(info[3], "repetitions", 1, 1 << 20));
    const int threads = static_cast<int>(readInt(info[4], "threads", 0, 1024));
    ThreadPool pool(threads > 0 ? threads : defaultThreadCount());
    Rng rng(7);
    std::vector<float> a(static_cast<std::size_t>(rows) * k), w(static_cast<std::size_t>(n) * k),
        c(static_cast<std::size_t>(rows) * n);
    for (auto& v : a) v = static_cast<float>(rng.normal());
    for (auto& v : w) v = static_cast<float>(rng.normal());
    PackedB packed;
    packB(k, n, MatView{w.data(), 1, k}, packed);
    std::vector<GemmScratch> scratch(pool.size());
    constexpr int chunk = 128;
    const int tasks = (rows + chunk - 1) / chunk;
    auto once = [&] {
      pool.run(tasks, [&](int t, int worker) {
        const int r0 = t * chunk, r = std::min(chunk, rows - r0);
        sgemmPacked(r, packed, MatView{a.data() + static_cast<std::size_t>(r0) * k, k, 1},
                    c.data() + static_cast<std::size_t>(r0) * n, n, false, scratch[worker]);
      });
    };
    once();
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < reps; ++i) once();
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    auto o = Napi::Object::New(env);
    o.Set("seconds", s / reps);
    o.Set("gflops", 2.0 * rows * n * k / (s / reps) * 1e-9);
    o.Set("threads", pool.size());
    return o;
  } catch (const ArgError& e) {
    return throwArgError(env, e);
  }
}

// Standard normals from the training path's generator (fillNormals), for tests.
Napi::Value normals(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const int n = static_cast<int>(readInt(info[0], "n", 1, 1 << 26));
    const auto seed = static_cast<std::uint64_t>(readInt(info[1], "seed", 0, (1LL << 53) - 1));
    Rng rng(seed);
    std::vector<float> z(n);
    fillNormals(rng, z.data(), n);
    return toFloat64Array(env, std::vector<double>(z.begin(), z.end()));
  } catch (const ArgError& e) {
    return throwArgError(env, e);
  }
}

// Measured FP32 peak of `threads` cores with the GEMM's ISA (GFLOP/s).
Napi::Value peakGflops(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  try {
    const int threads = static_cast<int>(readInt(info[0], "threads", 0, 1024));
    ThreadPool pool(threads > 0 ? threads : defaultThreadCount());
    std::vector<float> sink(pool.size(), 0.0f);
    std::vector<double> flops(pool.size(), 0.0);
    const long iters = 20000000;
    const auto t0 = std::chrono::steady_clock::now();
    pool.run(pool.size(), [&](int, int w) { flops[w] += fmaPeakLoop(iters, &sink[w]); });
    const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    double total = 0;
    for (double f : flops) total += f;
    auto o = Napi::Object::New(env);
    o.Set("gflops", total / s * 1e-9);
    o.Set("threads", pool.size());
    o.Set("isa", gemmKernelName());
    return o;
  } catch (const ArgError& e) {
    return throwArgError(env, e);
  }
}

}  // namespace

Napi::Function defineFlowHandle(Napi::Env env) {
  Napi::Function ctor = FlowHandle::define(env);
  env.SetInstanceData(std::make_unique<Napi::FunctionReference>(Napi::Persistent(ctor)).release());
  return ctor;
}

#ifdef NESTFLOW_PLANT_OVERFLOW
// Writes one element past a heap array: the sanitizer build must report it.
Napi::Value plantedOverflow(const Napi::CallbackInfo& info) {
  std::vector<int> v(4);
  volatile int* p = v.data();
  p[4 + info[0].ToNumber().Int32Value()] = 1;
  return info.Env().Undefined();
}
#endif

void registerTesting(Napi::Env env, Napi::Object exports) {
  auto testing = Napi::Object::New(env);
  testing.Set("sgemmCheck", Napi::Function::New(env, sgemmCheck, "sgemmCheck"));
  testing.Set("benchGemm", Napi::Function::New(env, benchGemm, "benchGemm"));
  testing.Set("peakGflops", Napi::Function::New(env, peakGflops, "peakGflops"));
  testing.Set("normals", Napi::Function::New(env, normals, "normals"));
  testing.Set("gemmKernel", gemmKernelName());
  testing.Set("defaultThreads", defaultThreadCount());
#ifdef NESTFLOW_PLANT_OVERFLOW
  testing.Set("plantedOverflow", Napi::Function::New(env, plantedOverflow, "plantedOverflow"));
#endif
  exports.Set("testing", testing);
}

}  // namespace nestflow
