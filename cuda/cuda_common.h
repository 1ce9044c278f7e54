// Shared by the kernel files: error checking, a scope-owned device
// allocation (no raw cudaMalloc/cudaFree pairs to leak on a throw), SiLU's sigmoid.
#pragma once
#include <cuda_runtime.h>

#include <cstddef>
#include <stdexcept>
#include <string>

namespace nestflow {
namespace cuda {

inline void check(cudaError_t err, const char* what) {
  if (err != cudaSuccess) throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(err));
}

__device__ inline float sigmoidf(float h) { return 1.0f / (1.0f + __expf(-h)); }

// Time feature f of native/mlp.h's timeFeatures: t, then sin 2πkt, cos 2πkt for k = 1, 2, ….
__device__ inline float timeFeature(int f, float t) {
  if (f == 0) return t;
  const float angle = 6.283185307179586f * ((f + 1) / 2) * t;
  return (f % 2 == 1) ? sinf(angle) : cosf(angle);
}

template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(std::size_t count) : count_(count) {
    if (count_ > 0) check(cudaMalloc(reinterpret_cast<void**>(&ptr_), count_ * sizeof(T)), "cudaMalloc");
  }
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  T* get() const { return ptr_; }
  void upload(const T* host) { check(cudaMemcpy(ptr_, host, count_ * sizeof(T), cudaMemcpyHostToDevice), "upload"); }
  void download(T* host) const { check(cudaMemcpy(host, ptr_, count_ * sizeof(T), cudaMemcpyDeviceToHost), "download"); }

 private:
  T* ptr_ = nullptr;
  std::size_t count_;
};

}  // namespace cuda
}  // namespace nestflow
