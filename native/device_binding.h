#pragma once
#include <napi.h>

namespace nestflow {
// exports.cudaStatus(): { compiled, available, device?, reason? }.
void registerDevice(Napi::Env env, Napi::Object exports);
}  // namespace nestflow
