// Registration only: the classes and functions live in their own files.
#include <napi.h>

#include "device_binding.h"
#include "flow_binding.h"

namespace {
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("FlowHandle", nestflow::defineFlowHandle(env));
  nestflow::registerTesting(env, exports);
  nestflow::registerDevice(env, exports);
  return exports;
}
}  // namespace

NODE_API_MODULE(nestflow, Init)
