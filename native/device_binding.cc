// What the addon says about the accelerator: whether this build carries the
// CUDA backend, and whether a device answers (or why not).
#include "device_binding.h"

#include "backend.h"

namespace nestflow {
namespace {

Napi::Value cudaStatusJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const CudaStatus s = cudaStatus();
  auto o = Napi::Object::New(env);
  o.Set("compiled", s.compiled);
  o.Set("available", s.available);
  if (!s.device.empty()) o.Set("device", s.device);
  if (!s.reason.empty()) o.Set("reason", s.reason);
  return o;
}

}  // namespace

void registerDevice(Napi::Env env, Napi::Object exports) {
  exports.Set("cudaStatus", Napi::Function::New(env, cudaStatusJs, "cudaStatus"));
}

}  // namespace nestflow
