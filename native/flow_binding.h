#pragma once
#include <napi.h>

namespace nestflow {
Napi::Function defineFlowHandle(Napi::Env env);
void registerTesting(Napi::Env env, Napi::Object exports);
}  // namespace nestflow
