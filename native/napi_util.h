// Argument checking for the N-API entries: every bad input becomes a JS
// TypeError or RangeError that names the argument, never a crash.
#pragma once
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "coded_error.h"

namespace nestflow {

struct ArgError {
  bool range;
  std::string message;
};

// Reads a Float64Array (in place, honouring byteOffset) into a vector.
inline std::vector<double> readFloat64Array(const Napi::Value& value, const char* name,
                                            bool requireFinite = true) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
    throw ArgError{false, std::string(name) + " must be a Float64Array"};
  auto arr = value.As<Napi::Float64Array>();
  std::vector<double> out(arr.Data(), arr.Data() + arr.ElementLength());
  if (requireFinite)
    for (std::size_t i = 0; i < out.size(); ++i)
      if (!std::isfinite(out[i]))
        throw ArgError{true, std::string(name) + "[" + std::to_string(i) + "] is " +
                                 (std::isnan(out[i]) ? "NaN" : "not finite")};
  return out;
}

inline double readNumber(const Napi::Value& value, const char* name) {
  if (!value.IsNumber()) throw ArgError{false, std::string(name) + " must be a number"};
  const double v = value.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(v)) throw ArgError{true, std::string(name) + " must be finite"};
  return v;
}

// A backend name: "auto", "cpu" or "cuda".
inline std::string readBackendName(const Napi::Value& value, const char* name) {
  if (!value.IsString()) throw ArgError{false, std::string(name) + " must be 'auto', 'cpu' or 'cuda'"};
  std::string s = value.As<Napi::String>().Utf8Value();
  if (s != "auto" && s != "cpu" && s != "cuda")
    throw ArgError{true, std::string(name) + " must be 'auto', 'cpu' or 'cuda', got '" + s + "'"};
  return s;
}

inline long long readInt(const Napi::Value& value, const char* name, long long lo, long long hi) {
  const double v = readNumber(value, name);
  if (v != std::floor(v)) throw ArgError{true, std::string(name) + " must be an integer"};
  if (v < lo || v > hi)
    throw ArgError{true, std::string(name) + " must be in [" + std::to_string(lo) + ", " +
                             std::to_string(hi) + "], got " + std::to_string(static_cast<long long>(v))};
  return static_cast<long long>(v);
}

// Optional fields of an options object: absent or undefined keeps the default.
class Options {
 public:
  Options(const Napi::Value& value, const char* name) : name_(name) {
    if (value.IsUndefined() || value.IsNull()) return;
    if (!value.IsObject() || value.IsArray())
      throw ArgError{false, std::string(name) + " must be an object"};
    obj_ = value.As<Napi::Object>();
    present_ = true;
  }
  bool has(const char* key) const {
    return present_ && obj_.Has(key) && !obj_.Get(key).IsUndefined();
  }
  Napi::Value get(const char* key) const { return obj_.Get(key); }
  std::string field(const char* key) const { return name_ + "." + key; }
  void number(const char* key, double& out, double lo, double hi) const {
    if (!has(key)) return;
    const std::string f = field(key);
    const double v = readNumber(get(key), f.c_str());
    if (v < lo || v > hi)
      throw ArgError{true, f + " must be in [" + fmt(lo) + ", " + fmt(hi) + "], got " + fmt(v)};
    out = v;
  }
  void integer(const char* key, int& out, long long lo, long long hi) const {
    if (!has(key)) return;
    const std::string f = field(key);
    out = static_cast<int>(readInt(get(key), f.c_str(), lo, hi));
  }
  void boolean(const char* key, bool& out) const {
    if (!has(key)) return;
    if (!get(key).IsBoolean()) throw ArgError{false, field(key) + " must be a boolean"};
    out = get(key).As<Napi::Boolean>().Value();
  }

 private:
  static std::string fmt(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
  }
  std::string name_;
  Napi::Object obj_;
  bool present_ = false;
};

inline Napi::Value throwArgError(Napi::Env env, const ArgError& e) {
  if (e.range)
    Napi::RangeError::New(env, e.message).ThrowAsJavaScriptException();
  else
    Napi::TypeError::New(env, e.message).ThrowAsJavaScriptException();
  return env.Undefined();
}

// A CodedError as JS sees it: a RangeError with .code and .field.
inline Napi::Value throwCodedError(Napi::Env env, const CodedError& e) {
  auto err = Napi::RangeError::New(env, e.what());
  err.Set("code", e.code);
  err.Set("field", e.field);
  err.ThrowAsJavaScriptException();
  return env.Undefined();
}

inline Napi::Float64Array toFloat64Array(Napi::Env env, const std::vector<double>& v) {
  auto arr = Napi::Float64Array::New(env, v.size());
  if (!v.empty()) std::memcpy(arr.Data(), v.data(), sizeof(double) * v.size());
  return arr;
}

// Runs work on the libuv pool and settles a Promise. std::range_error from the
// work rejects with a RangeError, anything else with an Error.
class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Finish = std::function<Napi::Value(Napi::Env)>;

  // Queues the work; N-API owns the worker from here and deletes it when done.
  static Napi::Promise start(Napi::Env env, Work work, Finish finish) {
    auto worker = std::make_unique<PromiseWorker>(env, std::move(work), std::move(finish));
    Napi::Promise promise = worker->deferred_.Promise();
    // N-API's AsyncWorker deletes itself after OnOK/OnError: hand it over.
    worker.release()->Queue();
    return promise;
  }

  PromiseWorker(Napi::Env env, Work work, Finish finish)
      : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), finish_(std::move(finish)) {}

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const CodedError& e) {
      rangeError_ = true;
      code_ = e.code;
      field_ = e.field;
      SetError(e.what());
    } catch (const std::range_error& e) {
      rangeError_ = true;
      SetError(e.what());
    } catch (const std::bad_alloc&) {
      rangeError_ = true;
      code_ = "OUT_OF_MEMORY";
      SetError("out of memory: the call needs more memory than the process can get (pass fewer points at a time)");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  void OnOK() override {
    Napi::Env env = Env();
    try {
      deferred_.Resolve(finish_(env));
    } catch (const Napi::Error& e) {
      deferred_.Reject(e.Value());
    }
  }
  void OnError(const Napi::Error& e) override {
    Napi::Env env = Env();
    const std::string msg = e.Message();
    Napi::Error err = rangeError_ ? Napi::RangeError::New(env, msg) : Napi::Error::New(env, msg);
    if (!code_.empty()) err.Set("code", code_);
    if (!field_.empty()) err.Set("field", field_);
    deferred_.Reject(err.Value());
  }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Finish finish_;
  bool rangeError_ = false;
  std::string code_, field_;
};

}  // namespace nestflow
