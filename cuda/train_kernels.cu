#include "train_kernels.h"

#include <cuda_runtime.h>

#include "cuda_common.h"
#include "device_ops.h"
#include "philox.h"

#include <algorithm>
#include <stdexcept>
#include <string>

namespace nestflow {
namespace cuda {

namespace {

constexpr int kRows = 8;  // rows per block of the loss kernel

// Offsets (in floats, per row) of each layer's input activations and each
// hidden layer's pre-activations in the block's shared buffer.
struct Layout {
  int actOffset[kMaxLayers + 1];
  int preOffset[kMaxLayers];
  int total;
};

__host__ __device__ inline Layout layoutOf(const NetDesc& net) {
  Layout L{};
  int off = 0;
  for (int l = 0; l < net.layers; ++l) {
    L.actOffset[l] = off;
    off += net.in[l];
  }
  L.actOffset[net.layers] = off;  // the output v
  off += net.out[net.layers - 1];
  for (int l = 0; l < net.layers; ++l) {
    L.preOffset[l] = off;
    off += net.out[l];
  }
  L.total = off;
  return L;
}

// Forward with every activation kept, the squared error, and backprop into
// this block's slice of `partial` [blocks][P]; blockLoss[blockIdx.x] its rows' loss.
__global__ void lossKernel(const float* __restrict__ params, NetDesc net, const float* __restrict__ xt, const float* __restrict__ tv,
                           const float* __restrict__ target, int n, float* __restrict__ partial, float* __restrict__ blockLoss, int withGrad) {
  extern __shared__ float shared[];
  const Layout L = layoutOf(net);
  const int width = net.maxWidth();
  float* act = shared;                                  // [kRows][L.total]
  float* delta = act + kRows * L.total;                 // [kRows][width]
  float* deltaIn = delta + kRows * width;               // [kRows][width]
  float* rowLoss = deltaIn + kRows * width;             // [kRows]
  const int row0 = blockIdx.x * kRows;
  const int rows = min(kRows, n - row0);
  const int in0 = net.in[0];
  for (int idx = threadIdx.x; idx < rows * in0; idx += blockDim.x) {
    const int r = idx / in0;
    const int i = idx % in0;
    act[r * L.total + L.actOffset[0] + i] =
        i < net.dim ? xt[static_cast<std::size_t>(row0 + r) * net.dim + i] : timeFeature(i - net.dim, tv[row0 + r]);
  }
  __syncthreads();
  for (int l = 0; l < net.layers; ++l) {
    const int nin = net.in[l], nout = net.out[l];
    const float* W = params + net.weightOffset[l];
    const float* b = W + static_cast<std::size_t>(nin) * nout;
    const bool hidden = l + 1 < net.layers;
    for (int idx = threadIdx.x; idx < rows * nout; idx += blockDim.x) {
      const int r = idx / nout;
      const int j = idx % nout;
      const float* a = act + r * L.total + L.actOffset[l];
      float h = b[j];
      for (int i = 0; i < nin; ++i) h += W[static_cast<std::size_t>(j) * nin + i] * a[i];
      act[r * L.total + L.preOffset[l] + j] = h;
      act[r * L.total + L.actOffset[l + 1] + j] = hidden ? h * sigmoidf(h) : h;
    }
    __syncthreads();
  }
  // Output error: loss Σ (v − target)² / n, δ = 2 (v − target) / n.
  const int d = net.dim;
  for (int idx = threadIdx.x; idx < rows * d; idx += blockDim.x) {
    const int r = idx / d;
    const int j = idx % d;
    const float e = act[r * L.total + L.actOffset[net.layers] + j] - target[static_cast<std::size_t>(row0 + r) * d + j];
    delta[r * width + j] = 2.0f * e / n;
  }
  // One thread per row sums its squared errors: a fixed order, the same loss every run.
  for (int r = threadIdx.x; r < rows; r += blockDim.x) {
    float s = 0.0f;
    for (int j = 0; j < d; ++j) {
      const float e = act[r * L.total + L.actOffset[net.layers] + j] - target[static_cast<std::size_t>(row0 + r) * d + j];
      s += e * e;
    }
    rowLoss[r] = s;
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float s = 0.0f;
    for (int r = 0; r < rows; ++r) s += rowLoss[r];
    blockLoss[blockIdx.x] = s;
  }
  if (!withGrad) return;
  const long long P = net.weightOffset[net.layers - 1] + static_cast<long long>(net.in[net.layers - 1] + 1) * net.out[net.layers - 1];
  float* g = partial + static_cast<std::size_t>(blockIdx.x) * P;
  for (int l = net.layers - 1; l >= 0; --l) {
    const int nin = net.in[l], nout = net.out[l];
    const float* W = params + net.weightOffset[l];
    float* gW = g + net.weightOffset[l];
    float* gb = gW + static_cast<std::size_t>(nin) * nout;
    // Weights and biases of layer l from δ (its outputs) and its inputs.
    for (int idx = threadIdx.x; idx < nout * nin; idx += blockDim.x) {
      const int j = idx / nin;
      const int i = idx % nin;
      float s = 0.0f;
      for (int r = 0; r < rows; ++r) s += delta[r * width + j] * act[r * L.total + L.actOffset[l] + i];
      gW[idx] = s;
    }
    for (int j = threadIdx.x; j < nout; j += blockDim.x) {
      float s = 0.0f;
      for (int r = 0; r < rows; ++r) s += delta[r * width + j];
      gb[j] = s;
    }
    if (l == 0) break;
    // δ of the layer below: Wᵀδ times SiLU'(h) of its pre-activation.
    for (int idx = threadIdx.x; idx < rows * nin; idx += blockDim.x) {
      const int r = idx / nin;
      const int i = idx % nin;
      float s = 0.0f;
      for (int j = 0; j < nout; ++j) s += W[static_cast<std::size_t>(j) * nin + i] * delta[r * width + j];
      const float h = act[r * L.total + L.preOffset[l - 1] + i];
      const float sg = sigmoidf(h);
      deltaIn[r * width + i] = s * sg * (1.0f + h * (1.0f - sg));
    }
    __syncthreads();
    for (int idx = threadIdx.x; idx < rows * nin; idx += blockDim.x) {
      const int r = idx / nin;
      const int i = idx % nin;
      delta[r * width + i] = deltaIn[r * width + i];
    }
    __syncthreads();
  }
}

// grad[p] = Σ_b partial[b][p], b in order: the same sum on every run.
__global__ void reduceKernel(const float* __restrict__ partial, int blocks, long long P, float* __restrict__ grad) {
  const long long p = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (p >= P) return;
  float s = 0.0f;
  for (int b = 0; b < blocks; ++b) s += partial[static_cast<std::size_t>(b) * P + p];
  grad[p] = s;
}

__global__ void adamKernel(float* __restrict__ w, float* __restrict__ m, float* __restrict__ v, const float* __restrict__ g, long long n,
                           AdamCoefficients c) {
  const long long i = static_cast<long long>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= n) return;
  const float gi = g[i] * c.clip;
  m[i] = c.beta1 * m[i] + (1.0f - c.beta1) * gi;
  v[i] = c.beta2 * v[i] + (1.0f - c.beta2) * gi * gi;
  w[i] = w[i] * c.decay - c.stepSize * m[i] / (sqrtf(v[i]) * c.invSqrtBc2 + c.epsilon);
}

// One CFM row per thread: a point index (row i's own point when inOrder) and
// t from Philox (seed, stream, i), the row's normals from stream + 1 (2 dim of
// them with path noise).
__global__ void cfmBatchKernel(int dim, const float* __restrict__ points, int nPoints, int rows, float sigma, std::uint64_t seed,
                               std::uint64_t stream, int inOrder, float* __restrict__ xt, float* __restrict__ tv, float* __restrict__ target) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i >= rows) return;
  const philox::Block pick = philox::draw(seed, stream, static_cast<std::uint64_t>(i));
  // Multiply-shift: an index in [0, nPoints) without a modulo's bias toward small ones.
  const int index = inOrder ? i % nPoints : static_cast<int>((static_cast<std::uint64_t>(pick.v[0]) * static_cast<std::uint64_t>(nPoints)) >> 32);
  const float t = philox::toUniform(pick.v[1]);
  tv[i] = t;
  const float* y = points + static_cast<std::size_t>(index) * dim;
  const int perRow = sigma > 0.0f ? 2 * dim : dim;
  const int blocksPerRow = (perRow + 3) / 4;
  for (int q = 0; q < blocksPerRow; ++q) {
    const philox::Block blk = philox::draw(seed, stream + 1, static_cast<std::uint64_t>(i) * blocksPerRow + q);
    float n[4];
    philox::toNormal2(blk.v[0], blk.v[1], n[0], n[1]);
    philox::toNormal2(blk.v[2], blk.v[3], n[2], n[3]);
    for (int k = 0; k < 4; ++k) {
      const int e = 4 * q + k;
      if (e < dim) {
        xt[static_cast<std::size_t>(i) * dim + e] = t * y[e] + (1.0f - t) * n[k];
        target[static_cast<std::size_t>(i) * dim + e] = y[e] - n[k];
      } else if (e < perRow) {
        xt[static_cast<std::size_t>(i) * dim + (e - dim)] += sigma * n[k];
      }
    }
  }
}

// out[0] = Σ x², one block of 256 threads: strided partial sums, then a
// fixed tree, so the sum is the same every run.
__global__ void sumSquaresKernel(const float* __restrict__ x, long long n, float* __restrict__ out) {
  __shared__ float part[256];
  float s = 0.0f;
  for (long long i = threadIdx.x; i < n; i += blockDim.x) s += x[i] * x[i];
  part[threadIdx.x] = s;
  __syncthreads();
  for (int width = blockDim.x / 2; width > 0; width /= 2) {
    if (threadIdx.x < width) part[threadIdx.x] += part[threadIdx.x + width];
    __syncthreads();
  }
  if (threadIdx.x == 0) out[0] = part[0];
}

std::size_t lossSharedBytes(const NetDesc& net) {
  return (static_cast<std::size_t>(kRows) * layoutOf(net).total + 2 * kRows * net.maxWidth() + kRows) * sizeof(float);
}

}  // namespace

int lossBlocks(int n) { return (n + kRows - 1) / kRows; }

void launchLoss(const NetDesc& net, const float* params, const float* xt, const float* t, const float* target, int n, float* grad,
                const LossScratch& scratch) {
  if (n <= 0) throw std::invalid_argument("n must be positive");
  const std::size_t sharedBytes = lossSharedBytes(net);
  if (sharedBytes > (48u << 10)) check(cudaFuncSetAttribute(lossKernel, cudaFuncAttributeMaxDynamicSharedMemorySize, static_cast<int>(sharedBytes)), "shared memory size");
  const int blocks = lossBlocks(n);
  const int threads = std::min(256, std::max(64, ((net.maxWidth() + 31) / 32) * 32));
  lossKernel<<<blocks, threads, sharedBytes>>>(params, net, xt, t, target, n, scratch.partial, scratch.blockLoss, grad ? 1 : 0);
  check(cudaGetLastError(), "lossKernel launch");
  if (grad) {
    const long long P = net.paramCount();
    reduceKernel<<<static_cast<unsigned>((P + 255) / 256), 256>>>(scratch.partial, blocks, P, grad);
    check(cudaGetLastError(), "reduceKernel launch");
  }
}

void launchCfmBatch(int dim, const float* points, int nPoints, int rows, float sigma, std::uint64_t seed, std::uint64_t stream, bool inOrder,
                    float* xt, float* t, float* target) {
  if (rows <= 0) return;
  if (nPoints <= 0) throw std::invalid_argument("a CFM batch needs points");
  cfmBatchKernel<<<(rows + 127) / 128, 128>>>(dim, points, nPoints, rows, sigma, seed, stream, inOrder ? 1 : 0, xt, t, target);
  check(cudaGetLastError(), "cfmBatchKernel launch");
}

void launchSumSquares(const float* x, long long n, float* out) {
  sumSquaresKernel<<<1, 256>>>(x, n, out);
  check(cudaGetLastError(), "sumSquaresKernel launch");
}

void launchAdam(float* params, float* m, float* v, const float* grad, long long n, const AdamCoefficients& c) {
  if (n <= 0) return;
  adamKernel<<<static_cast<unsigned>((n + 255) / 256), 256>>>(params, m, v, grad, n, c);
  check(cudaGetLastError(), "adamKernel launch");
}

double cfmLossHost(const NetDesc& net, const std::vector<float>& params, const float* xt, const float* t, const float* target, int n,
                   float* grad) {
  const long long P = net.paramCount();
  if (static_cast<long long>(params.size()) != P) throw std::invalid_argument("params has the wrong length for the network");
  if (n <= 0) throw std::invalid_argument("n must be positive");
  const int blocks = lossBlocks(n);
  DeviceBuffer<float> dParams(params.size()), dX(static_cast<std::size_t>(n) * net.dim), dT(n), dTarget(static_cast<std::size_t>(n) * net.dim),
      dPartial(grad ? static_cast<std::size_t>(blocks) * P : 0), dLoss(blocks), dGrad(grad ? P : 0);
  dParams.upload(params.data());
  dX.upload(xt);
  dT.upload(t);
  dTarget.upload(target);
  launchLoss(net, dParams.get(), dX.get(), dT.get(), dTarget.get(), n, grad ? dGrad.get() : nullptr, LossScratch{dPartial.get(), dLoss.get()});
  synchronize("lossKernel");
  std::vector<float> blockLoss(blocks);
  dLoss.download(blockLoss.data());
  double loss = 0;
  for (float x : blockLoss) loss += x;
  if (grad) dGrad.download(grad);
  return loss / n;
}

void adamHost(std::vector<float>& params, std::vector<float>& m, std::vector<float>& v, const std::vector<float>& grad,
              const AdamCoefficients& c) {
  const std::size_t n = params.size();
  if (m.size() != n || v.size() != n || grad.size() != n) throw std::invalid_argument("adamHost: params, m, v and grad must have one length");
  DeviceBuffer<float> dW(n), dM(n), dV(n), dG(n);
  dW.upload(params.data());
  dM.upload(m.data());
  dV.upload(v.data());
  dG.upload(grad.data());
  launchAdam(dW.get(), dM.get(), dV.get(), dG.get(), static_cast<long long>(n), c);
  synchronize("adamKernel");
  dW.download(params.data());
  dM.download(m.data());
  dV.download(v.data());
}

}  // namespace cuda
}  // namespace nestflow
