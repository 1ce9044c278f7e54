// Host entry points of the CUDA kernels. Plain C++ types only, so the C++
// tests and (later) the addon's CUDA backend include this without nvcc.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace nestflow {
namespace cuda {

// Whether a CUDA device answers (a driver is loaded and sees a GPU); if not,
// `why` says what failed. Never throws: no GPU is an ordinary case.
bool deviceAvailable(std::string* why = nullptr);
// "<name>, compute capability X.Y, N SMs, M MiB, driver A.B (CUDA runtime C.D)" of device 0.
std::string deviceDescription();

#if defined(__CUDACC__)
#define NESTFLOW_HOST_DEVICE __host__ __device__
#else
#define NESTFLOW_HOST_DEVICE
#endif

constexpr int kMaxLayers = 8;

// The MLP of native/mlp.h: input [y (dim), t, sin 2πkt, cos 2πkt (k = 1..timeFreqs)],
// SiLU hidden layers, linear output; per layer W row-major [out][in] then b[out].
struct NetDesc {
  int dim = 0;
  int layers = 0;
  int timeFreqs = 3;
  int in[kMaxLayers] = {};
  int out[kMaxLayers] = {};
  long long weightOffset[kMaxLayers] = {};

  static NetDesc make(int dim, const std::vector<int>& hidden, int timeFreqs);
  long long paramCount() const;
  NESTFLOW_HOST_DEVICE int maxWidth() const {
    int w = 0;
    for (int l = 0; l < layers; ++l) {
      w = in[l] > w ? in[l] : w;
      w = out[l] > w ? out[l] : w;
    }
    return w;
  }
};

// v(y, t) [n][dim] and, when trace is not null, the exact tr(∂v/∂y) [n] by
// propagating dim tangent vectors through the network with the activations
// (one fused kernel: a block keeps its rows' activations and tangents in
// shared memory across all layers). Host arrays; copies in and out.
void fieldHost(const NetDesc& net, const std::vector<float>& params, const float* y, float t, float* v, float* trace, int n);

// Classical RK4 of dy/dt = v(y, t) from t0 to t1 in `steps` steps for n
// trajectories, entirely on the device (the state stays in shared memory
// between steps): y [n][dim] in/out and, when not null, traceIntegral [n] ←
// ∫ tr(∂v/∂y) dt, signed by direction — Backend::integrate's contract.
void integrateHost(const NetDesc& net, const std::vector<float>& params, float* y, float* traceIntegral, int n, int steps, float t0, float t1);

// n standard normals of `stream` under `seed`, drawn on the device with the
// Philox of philox.h (element i uses counter i / 2 of the stream).
void normalsHost(std::uint64_t seed, std::uint64_t stream, float* out, int n);

}  // namespace cuda
}  // namespace nestflow
