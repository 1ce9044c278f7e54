// Limits shared by the constructor's argument checks and the flow reader, so
// a file can describe no flow that the constructor would refuse.
#pragma once
#include <cstdint>

namespace nestflow {

constexpr int kMaxDim = 4096;
constexpr int kMaxLayers = 16;
constexpr int kMaxWidth = 8192;
constexpr int kMaxTimeFreqs = 64;
// Values (points × dim) one call may take or return: 2^26 doubles are 512 MiB
// per array, and a call holds several such arrays.
constexpr std::uint64_t kMaxBatchValues = std::uint64_t{1} << 26;
// Adam's step counter: far above any run, far below where the bias
// correction (1 − β^step) or the counter itself misbehaves.
constexpr std::uint64_t kMaxAdamStep = std::uint64_t{1} << 40;
// Largest weight or Adam moment a flow file may hold.
constexpr double kMaxParam = 1e6;

}  // namespace nestflow
