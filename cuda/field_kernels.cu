#include "field_kernels.h"

#include "device_ops.h"

#include <cuda_runtime.h>

#include "cuda_common.h"

#include <algorithm>
#include <stdexcept>
#include <string>

#include "philox.h"

namespace nestflow {
namespace cuda {

namespace {

// The field for one block's rows: `ys` [rowsPerBlock][dim] (shared) at time t
// into vOut [rowsPerBlock][dim] and, with vecs = 1 + dim, the exact trace into
// trOut [rowsPerBlock]. Scratch a and b hold [width][rowsPerBlock·vecs]: the
// value and dim tangent vectors of every row, through every layer. Thread j
// computes output unit j for all of them, so W's row j is read once per block
// and the tangents reuse the value's pre-activation for SiLU'.
__device__ void blockField(const float* __restrict__ params, const NetDesc& net, const float* ys, float t, float* a, float* b,
                           int rowsPerBlock, int vecs, int rows, float* vOut, float* trOut) {
  const int rv = rowsPerBlock * vecs;
  const int in0 = net.in[0];
  for (int idx = threadIdx.x; idx < in0 * rv; idx += blockDim.x) {
    const int i = idx / rv;
    const int col = idx % rv;
    const int r = col / vecs;
    const int k = col % vecs;
    float value = 0.0f;
    if (r < rows) {
      if (k == 0) {
        value = i < net.dim ? ys[r * net.dim + i] : timeFeature(i - net.dim, t);
      } else {
        value = (i == k - 1) ? 1.0f : 0.0f;
      }
    }
    a[idx] = value;
  }
  __syncthreads();
  for (int l = 0; l < net.layers; ++l) {
    const int nin = net.in[l];
    const int nout = net.out[l];
    const float* W = params + net.weightOffset[l];
    const float* bias = W + static_cast<std::size_t>(nin) * nout;
    const bool hidden = l + 1 < net.layers;
    for (int j = threadIdx.x; j < nout; j += blockDim.x) {
      const float* wj = W + static_cast<std::size_t>(j) * nin;
      for (int r = 0; r < rows; ++r) {
        float h = bias[j];
        for (int i = 0; i < nin; ++i) h += wj[i] * a[i * rv + r * vecs];
        float s = 1.0f, ds = 1.0f;
        if (hidden) {
          s = sigmoidf(h);
          ds = s * (1.0f + h * (1.0f - s));
        }
        b[j * rv + r * vecs] = hidden ? h * s : h;
        for (int k = 1; k < vecs; ++k) {
          float dh = 0.0f;
          for (int i = 0; i < nin; ++i) dh += wj[i] * a[i * rv + r * vecs + k];
          b[j * rv + r * vecs + k] = ds * dh;
        }
      }
    }
    __syncthreads();
    float* swap = a;
    a = b;
    b = swap;
  }
  for (int idx = threadIdx.x; idx < rows * net.dim; idx += blockDim.x) {
    const int r = idx / net.dim;
    const int j = idx % net.dim;
    vOut[idx] = a[j * rv + r * vecs];
  }
  if (vecs > 1) {
    for (int r = threadIdx.x; r < rows; r += blockDim.x) {
      float tr = 0.0f;
      for (int k = 0; k < net.dim; ++k) tr += a[k * rv + r * vecs + 1 + k];
      trOut[r] = tr;
    }
  }
  __syncthreads();
}

// Shared memory per block: the two activation buffers, then per-row vectors.
__host__ __device__ inline std::size_t activationFloats(const NetDesc& net, int rowsPerBlock, int vecs) {
  return 2 * static_cast<std::size_t>(net.maxWidth()) * rowsPerBlock * vecs;
}

__global__ void fieldKernel(const float* __restrict__ params, NetDesc net, const float* __restrict__ y, float t,
                            float* __restrict__ v, float* __restrict__ trace, int n, int rowsPerBlock, int vecs) {
  extern __shared__ float shared[];
  float* a = shared;
  float* b = a + activationFloats(net, rowsPerBlock, vecs) / 2;
  float* ys = a + activationFloats(net, rowsPerBlock, vecs);
  float* vs = ys + rowsPerBlock * net.dim;
  float* trs = vs + rowsPerBlock * net.dim;
  const int row0 = blockIdx.x * rowsPerBlock;
  const int rows = min(rowsPerBlock, n - row0);
  for (int idx = threadIdx.x; idx < rows * net.dim; idx += blockDim.x) ys[idx] = y[static_cast<std::size_t>(row0) * net.dim + idx];
  __syncthreads();
  blockField(params, net, ys, t, a, b, rowsPerBlock, vecs, rows, vs, trs);
  for (int idx = threadIdx.x; idx < rows * net.dim; idx += blockDim.x) v[static_cast<std::size_t>(row0) * net.dim + idx] = vs[idx];
  if (trace && vecs > 1)
    for (int r = threadIdx.x; r < rows; r += blockDim.x) trace[row0 + r] = trs[r];
}

// Classical RK4 from t0 to t1 in `steps` steps, the state kept in shared
// memory for the whole integration: y ← y(t1) and traceIntegral ←
// ∫ tr(∂v/∂y) dt (signed by direction), as Backend::integrate on the CPU.
__global__ void integrateKernel(const float* __restrict__ params, NetDesc net, float* __restrict__ y, float* __restrict__ traceIntegral,
                                int n, int rowsPerBlock, int vecs, int steps, float t0, float t1) {
  extern __shared__ float shared[];
  const int rd = rowsPerBlock * net.dim;
  float* a = shared;
  float* b = a + activationFloats(net, rowsPerBlock, vecs) / 2;
  float* ys = a + activationFloats(net, rowsPerBlock, vecs);
  float* yt = ys + rd;
  float* ysum = yt + rd;
  float* k = ysum + rd;
  float* tr = k + rd;
  float* trsum = tr + rowsPerBlock;
  float* trint = trsum + rowsPerBlock;
  const int row0 = blockIdx.x * rowsPerBlock;
  const int rows = min(rowsPerBlock, n - row0);
  for (int idx = threadIdx.x; idx < rd; idx += blockDim.x) ys[idx] = idx < rows * net.dim ? y[static_cast<std::size_t>(row0) * net.dim + idx] : 0.0f;
  for (int r = threadIdx.x; r < rowsPerBlock; r += blockDim.x) trint[r] = 0.0f;
  __syncthreads();
  const float h = (t1 - t0) / steps;
  const float weights[4] = {1.0f, 2.0f, 2.0f, 1.0f};
  const float offsets[4] = {0.0f, 0.5f, 0.5f, 1.0f};
  for (int s = 0; s < steps; ++s) {
    const float t = t0 + s * h;
    for (int stage = 0; stage < 4; ++stage) {
      blockField(params, net, stage == 0 ? ys : yt, t + offsets[stage] * h, a, b, rowsPerBlock, vecs, rows, k, tr);
      const float next = stage < 3 ? offsets[stage + 1] * h : 0.0f;
      for (int idx = threadIdx.x; idx < rows * net.dim; idx += blockDim.x) {
        ysum[idx] = (stage == 0 ? 0.0f : ysum[idx]) + weights[stage] * k[idx];
        if (stage < 3) yt[idx] = ys[idx] + next * k[idx];
      }
      if (vecs > 1)
        for (int r = threadIdx.x; r < rows; r += blockDim.x) trsum[r] = (stage == 0 ? 0.0f : trsum[r]) + weights[stage] * tr[r];
      __syncthreads();
    }
    for (int idx = threadIdx.x; idx < rows * net.dim; idx += blockDim.x) ys[idx] += (h / 6.0f) * ysum[idx];
    if (vecs > 1)
      for (int r = threadIdx.x; r < rows; r += blockDim.x) trint[r] += (h / 6.0f) * trsum[r];
    __syncthreads();
  }
  for (int idx = threadIdx.x; idx < rows * net.dim; idx += blockDim.x) y[static_cast<std::size_t>(row0) * net.dim + idx] = ys[idx];
  if (traceIntegral && vecs > 1)
    for (int r = threadIdx.x; r < rows; r += blockDim.x) traceIntegral[row0 + r] = trint[r];
}

__global__ void normalsKernel(std::uint64_t seed, std::uint64_t stream, float* out, int n) {
  const int pair = blockIdx.x * blockDim.x + threadIdx.x;
  if (2 * pair >= n) return;
  const philox::Block blk = philox::draw(seed, stream, static_cast<std::uint64_t>(pair));
  float n0, n1;
  philox::toNormal2(blk.v[0], blk.v[1], n0, n1);
  out[2 * pair] = n0;
  if (2 * pair + 1 < n) out[2 * pair + 1] = n1;
}

}  // namespace

NetDesc NetDesc::make(int dim, const std::vector<int>& hidden, int timeFreqs) {
  if (static_cast<int>(hidden.size()) + 1 > kMaxLayers) throw std::invalid_argument("too many hidden layers for the CUDA kernels");
  NetDesc d;
  d.dim = dim;
  d.timeFreqs = timeFreqs;
  d.layers = static_cast<int>(hidden.size()) + 1;
  long long off = 0;
  for (int l = 0; l < d.layers; ++l) {
    d.in[l] = l == 0 ? dim + 1 + 2 * timeFreqs : hidden[l - 1];
    d.out[l] = l + 1 == d.layers ? dim : hidden[l];
    d.weightOffset[l] = off;
    off += static_cast<long long>(d.in[l] + 1) * d.out[l];
  }
  return d;
}

long long NetDesc::paramCount() const {
  return layers == 0 ? 0 : weightOffset[layers - 1] + static_cast<long long>(in[layers - 1] + 1) * out[layers - 1];
}

namespace {
// CUDA's integer versions (12080) as "12.8".
std::string versionText(int v) { return std::to_string(v / 1000) + "." + std::to_string((v % 1000) / 10); }
}  // namespace

bool deviceAvailable(std::string* why) {
  int count = 0;
  const cudaError_t err = cudaGetDeviceCount(&count);
  if (err != cudaSuccess) {
    if (why) {
      *why = std::string("no CUDA device: ") + cudaGetErrorString(err);
      int driver = 0, runtime = 0;
      cudaDriverGetVersion(&driver);
      cudaRuntimeGetVersion(&runtime);
      if (err == cudaErrorInsufficientDriver)
        *why += driver == 0 ? " (no NVIDIA driver is loaded; this build's CUDA runtime is " + versionText(runtime) + ")"
                            : " (the driver supports CUDA " + versionText(driver) + ", this build's runtime is " + versionText(runtime) + ")";
    }
    cudaGetLastError();  // clear the sticky error
    return false;
  }
  if (count == 0) {
    if (why) *why = "no CUDA device: the driver sees 0 GPUs";
    return false;
  }
  return true;
}

std::string deviceDescription() {
  cudaDeviceProp p{};
  check(cudaGetDeviceProperties(&p, 0), "cudaGetDeviceProperties");
  int driver = 0, runtime = 0;
  cudaDriverGetVersion(&driver);
  cudaRuntimeGetVersion(&runtime);
  return std::string(p.name) + ", compute capability " + std::to_string(p.major) + "." + std::to_string(p.minor) + ", " +
         std::to_string(p.multiProcessorCount) + " SMs, " + std::to_string(p.totalGlobalMem >> 20) + " MiB, driver " + versionText(driver) +
         " (CUDA runtime " + versionText(runtime) + ")";
}

namespace {

struct Launch {
  int rowsPerBlock;
  int threads;
  std::size_t sharedBytes;
};

// Rows per block: as many as the activation buffers (and `perRowExtra`
// floats of per-row state) fit in 48 KiB, at most 32.
Launch launchFor(const NetDesc& net, int vecs, int perRowExtra) {
  const std::size_t perRow = (activationFloats(net, 1, vecs) + perRowExtra) * sizeof(float);
  const int rows = static_cast<int>(std::max<std::size_t>(1, std::min<std::size_t>(32, (48u << 10) / perRow)));
  const int threads = std::min(256, std::max(32, ((net.maxWidth() + 31) / 32) * 32));
  return {rows, threads, perRow * rows};
}

void allowShared(const void* kernel, std::size_t bytes) {
  if (bytes > (48u << 10)) check(cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(bytes)), "shared memory size");
}

void checkParams(const NetDesc& net, const std::vector<float>& params) {
  if (static_cast<long long>(params.size()) != net.paramCount()) throw std::invalid_argument("params has the wrong length for the network");
}

}  // namespace

void launchField(const NetDesc& net, const float* params, const float* y, float t, float* v, float* trace, int n) {
  if (n <= 0) return;
  const int vecs = trace ? 1 + net.dim : 1;
  const Launch L = launchFor(net, vecs, 2 * net.dim + 1);
  allowShared(reinterpret_cast<const void*>(fieldKernel), L.sharedBytes);
  const int blocks = (n + L.rowsPerBlock - 1) / L.rowsPerBlock;
  fieldKernel<<<blocks, L.threads, L.sharedBytes>>>(params, net, y, t, v, trace, n, L.rowsPerBlock, vecs);
  check(cudaGetLastError(), "fieldKernel launch");
}

void launchIntegrate(const NetDesc& net, const float* params, float* y, float* traceIntegral, int n, int steps, float t0, float t1) {
  if (steps < 1) throw std::invalid_argument("steps must be at least 1");
  if (n <= 0) return;
  const int vecs = traceIntegral ? 1 + net.dim : 1;
  const Launch L = launchFor(net, vecs, 4 * net.dim + 3);
  allowShared(reinterpret_cast<const void*>(integrateKernel), L.sharedBytes);
  const int blocks = (n + L.rowsPerBlock - 1) / L.rowsPerBlock;
  integrateKernel<<<blocks, L.threads, L.sharedBytes>>>(params, net, y, traceIntegral, n, L.rowsPerBlock, vecs, steps, t0, t1);
  check(cudaGetLastError(), "integrateKernel launch");
}

void synchronize(const char* what) { check(cudaDeviceSynchronize(), what); }

void fieldHost(const NetDesc& net, const std::vector<float>& params, const float* y, float t, float* v, float* trace, int n) {
  checkParams(net, params);
  if (n <= 0) return;
  DeviceBuffer<float> dParams(params.size()), dY(static_cast<std::size_t>(n) * net.dim), dV(static_cast<std::size_t>(n) * net.dim),
      dTrace(trace ? n : 0);
  dParams.upload(params.data());
  dY.upload(y);
  launchField(net, dParams.get(), dY.get(), t, dV.get(), trace ? dTrace.get() : nullptr, n);
  synchronize("fieldKernel");
  dV.download(v);
  if (trace) dTrace.download(trace);
}

void integrateHost(const NetDesc& net, const std::vector<float>& params, float* y, float* traceIntegral, int n, int steps, float t0, float t1) {
  checkParams(net, params);
  if (n <= 0) return;
  DeviceBuffer<float> dParams(params.size()), dY(static_cast<std::size_t>(n) * net.dim), dTrace(traceIntegral ? n : 0);
  dParams.upload(params.data());
  dY.upload(y);
  launchIntegrate(net, dParams.get(), dY.get(), traceIntegral ? dTrace.get() : nullptr, n, steps, t0, t1);
  synchronize("integrateKernel");
  dY.download(y);
  if (traceIntegral) dTrace.download(traceIntegral);
}

void normalsHost(std::uint64_t seed, std::uint64_t stream, float* out, int n) {
  if (n <= 0) return;
  DeviceBuffer<float> d(n);
  const int pairs = (n + 1) / 2;
  normalsKernel<<<(pairs + 255) / 256, 256>>>(seed, stream, d.get(), n);
  check(cudaGetLastError(), "normalsKernel launch");
  check(cudaDeviceSynchronize(), "normalsKernel");
  d.download(out);
}

}  // namespace cuda
}  // namespace nestflow
