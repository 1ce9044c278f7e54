// CPU backend: the MLP's forward, backward and tangent (JVP) passes on the
// AVX2 GEMM, parallel over fixed-size chunks of rows. Chunk sizes never
// depend on the thread count and reductions run in chunk order, so results
// are bitwise identical whatever the number of threads.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <utility>

#include "backend.h"
#include "elementwise.h"
#include "gemm.h"
#include "rng.h"
#include "thread_pool.h"
#include "vecmath.h"

namespace nestflow {
namespace {

constexpr int kTrainChunk = 128;  // rows per training task
constexpr int kOdeChunk = 32;     // trajectories per integration task
constexpr int kParamParts = 16;
constexpr int kThinWidth = 4;      // layers with at most this many outputs skip the GEMM      // fixed split of the parameter vector for reductions

// Weights packed for the GEMM once per step / call, shared read-only by all tasks.
struct PackedNet {
  std::vector<PackedB> wT;  // B = W^T [in x out]: forward
  std::vector<PackedB> w;   // B = W [out x in]: backward to the layer input
  std::vector<float> inputColsT;  // layer 0's W[:, :dim] transposed: [dim][out0]
};

void packNet(const NetShape& shape, const std::vector<float>& params, bool backward,
             PackedNet& packed, ThreadPool& pool) {
  const int L = shape.layers();
  packed.wT.resize(L);
  packed.w.resize(L);
  pool.run(2 * L, [&](int task, int) {
    const int l = task / 2;
    const int in = shape.layerIn(l), out = shape.layerOut(l);
    const float* W = params.data() + shape.weightOffset(l);
    if (task % 2 == 0)
      packB(in, out, MatView{W, 1, in}, packed.wT[l]);
    else if (backward && l > 0)
      packB(out, in, MatView{W, in, 1}, packed.w[l]);
  });
  const int d = shape.dim, in0 = shape.inputWidth(), h0 = shape.layerOut(0);
  const float* W0 = params.data() + shape.weightOffset(0);
  packed.inputColsT.resize(static_cast<std::size_t>(d) * h0);
  for (int p = 0; p < d; ++p)
    for (int j = 0; j < h0; ++j) packed.inputColsT[p * h0 + j] = W0[j * in0 + p];
}

void addBias(float* rows, int nRows, int width, int ld, const float* bias) {
  for (int i = 0; i < nRows; ++i) {
    float* r = rows + static_cast<std::ptrdiff_t>(i) * ld;
    addInPlace(r, bias, width);
  }
}

struct TrainScratch {
  GemmScratch gemm;
  std::vector<float> x0;                 // [rows][in0]
  std::vector<std::vector<float>> pre;   // per hidden layer [rows][h]: pre-activation, then silu' (with grad)
  std::vector<std::vector<float>> act;   // per hidden layer [rows][h]
  std::vector<float> out;                // [rows][dim]
  std::vector<float> delta, deltaPrev;   // [rows][maxWidth]
  std::vector<float> target;             // [rows][dim]
  std::vector<float> normals;            // CFM latents (and noise) for a chunk
};

struct OdeScratch {
  GemmScratch gemm;
  std::vector<float> x0;      // [c][in0]
  std::vector<float> bufA, bufB;  // [c (1 + r)][maxWidth]: point rows, then tangent rows
  std::vector<float> deriv;   // [c][maxWidth]
  std::vector<float> probes;  // [c r][dim] (Hutchinson)
  std::vector<float> out;     // [c][dim]
  std::vector<double> y, ytmp, k[4], tr[4];
};

class CpuBackend final : public Backend {
 public:
  CpuBackend(int threads, std::string note) : pool_(threads), note_(std::move(note)) {
    train_.resize(pool_.size());
    ode_.resize(pool_.size());
  }

  BackendInfo info() const override {
    return BackendInfo{std::string("cpu (") + gemmKernelName() + ")", pool_.size(), "", note_};
  }

  // ---- training -----------------------------------------------------------

  // Forward (and, with grad, backward) for rows of (x_t, t, target); returns
  // the sum over rows of |v - target|^2. grad receives dLoss/dparams with the
  // loss scaled by lossScale (1 / batch size).
  double chunkLossGrad(const NetShape& shape, const std::vector<float>& params,
                       const PackedNet& packed, TrainScratch& s, int rows, const float* tvals,
                       double lossScale, float* grad) {
    const int L = shape.layers(), d = shape.dim, in0 = shape.inputWidth();
    // x0 already holds y_t in its first d columns; append time features.
    for (int i = 0; i < rows; ++i) timeFeatures(shape, tvals[i], s.x0.data() + i * in0 + d);
    const float* input = s.x0.data();
    int inWidth = in0;
    for (int l = 0; l < L; ++l) {
      const int out = shape.layerOut(l);
      const float* bias = params.data() + shape.biasOffset(l);
      float* dst = l + 1 < L ? s.pre[l].data() : s.out.data();
      if (out <= kThinWidth) {
        // A few outputs (the last layer in low d): dot products beat a padded GEMM panel.
        const float* W = params.data() + shape.weightOffset(l);
        for (int i = 0; i < rows; ++i)
          for (int j = 0; j < out; ++j) dst[i * out + j] = dot(input + i * inWidth, W + j * inWidth, inWidth);
      } else {
        sgemmPacked(rows, packed.wT[l], MatView{input, inWidth, 1}, dst, out, false, s.gemm);
      }
      addBias(dst, rows, out, out, bias);
      if (l + 1 < L) {
        for (int i = 0; i < rows; ++i)
          siluForward(dst + i * out, s.act[l].data() + i * out, grad ? dst + i * out : nullptr, out);
        input = s.act[l].data();
        inWidth = out;
      }
    }
    double loss = 0;
    const float scale = static_cast<float>(2.0 * lossScale);
    for (int i = 0; i < rows * d; ++i) {
      const float r = s.out[i] - s.target[i];
      loss += static_cast<double>(r) * r;
      s.delta[i] = scale * r;
    }
    if (!grad) return loss;
    // Backward, layer by layer; delta holds dLoss/dpre of layer l, [rows][out].
    for (int l = L - 1; l >= 0; --l) {
      const int in = shape.layerIn(l), out = shape.layerOut(l);
      const float* x = l == 0 ? s.x0.data() : s.act[l - 1].data();
      float* gW = grad + shape.weightOffset(l);
      float* gb = grad + shape.biasOffset(l);
      const bool thin = out <= kThinWidth;
      const float* W = params.data() + shape.weightOffset(l);
      // gW [out][in] = delta^T [out x rows] * x [rows x in]
      if (thin) {
        for (int j = 0; j < out * in; ++j) gW[j] = 0.0f;
        for (int i = 0; i < rows; ++i)
          for (int j = 0; j < out; ++j) axpy(gW + j * in, s.delta[i * out + j], x + i * in, in);
      } else {
        sgemm(out, in, rows, MatView{s.delta.data(), 1, out}, MatView{x, in, 1}, gW, in, false,
              s.gemm);
      }
      columnSums(s.delta.data(), rows, out, gb);
      if (l > 0) {
        // deltaPrev [rows][in] = delta [rows x out] * W [out x in], then * silu'(pre)
        if (thin) {
          for (int i = 0; i < rows; ++i) {
            float* dp = s.deltaPrev.data() + i * in;
            for (int j = 0; j < in; ++j) dp[j] = 0.0f;
            for (int j = 0; j < out; ++j) axpy(dp, s.delta[i * out + j], W + j * in, in);
          }
        } else {
          sgemmPacked(rows, packed.w[l], MatView{s.delta.data(), out, 1}, s.deltaPrev.data(), in,
                      false, s.gemm);
        }
        const float* deriv = s.pre[l - 1].data();  // silu'(pre), stored by the forward pass
        float* dp = s.deltaPrev.data();
        mulInPlace(dp, deriv, static_cast<std::size_t>(rows) * in);
        std::swap(s.delta, s.deltaPrev);
      }
    }
    return loss;
  }

  void prepareTrainScratch(const NetShape& shape, TrainScratch& s) {
    const int L = shape.layers(), rows = kTrainChunk;
    s.x0.resize(static_cast<std::size_t>(rows) * shape.inputWidth());
    s.pre.resize(L - 1);
    s.act.resize(L - 1);
    for (int l = 0; l + 1 < L; ++l) {
      s.pre[l].resize(static_cast<std::size_t>(rows) * shape.layerOut(l));
      s.act[l].resize(static_cast<std::size_t>(rows) * shape.layerOut(l));
    }
    s.out.resize(static_cast<std::size_t>(rows) * shape.dim);
    s.target.resize(static_cast<std::size_t>(rows) * shape.dim);
    s.delta.resize(static_cast<std::size_t>(rows) * shape.maxWidth());
    s.deltaPrev.resize(static_cast<std::size_t>(rows) * shape.maxWidth());
  }

  // Draws a chunk's CFM pairs: x_t = t y + (1 - t) z + σ ε, target y - z.
  // Indices and times come from `rng`, the normals from `normalRng`.
  static void drawCfmRows(const NetShape& shape, const double* points, int nPoints, int rows,
                          double sigma, Rng& rng, Rng& normalRng, TrainScratch& s, float* tvals) {
    const int d = shape.dim, in0 = shape.inputWidth();
    const int perRow = sigma > 0 ? 2 * d : d;
    s.normals.resize(static_cast<std::size_t>(rows) * perRow);
    fillNormals(normalRng, s.normals.data(), rows * perRow);
    const float sig = static_cast<float>(sigma);
    for (int i = 0; i < rows; ++i) {
      const double* y = points + static_cast<std::size_t>(rng.below(nPoints)) * d;
      const double t = rng.uniform();
      tvals[i] = static_cast<float>(t);
      const float* z = s.normals.data() + static_cast<std::size_t>(i) * perRow;
      for (int j = 0; j < d; ++j) {
        float xt = static_cast<float>(t * y[j] + (1.0 - t) * z[j]);
        if (sigma > 0) xt += sig * z[d + j];
        s.x0[i * in0 + j] = xt;
        s.target[i * d + j] = static_cast<float>(y[j] - z[j]);
      }
    }
  }

  TrainResult train(const NetShape& shape, std::vector<float>& params, AdamState& adam,
                    const double* points, int nTrain, int nValidation, const TrainSpec& spec,
                    std::uint64_t seed) override {
    const auto start = std::chrono::steady_clock::now();
    const std::size_t P = shape.paramCount();
    if (adam.m.size() != P) adam.m.assign(P, 0.0f);
    if (adam.v.size() != P) adam.v.assign(P, 0.0f);
    const int batch = spec.batchSize;
    const int chunks = (batch + kTrainChunk - 1) / kTrainChunk;
    chunkGrad_.resize(static_cast<std::size_t>(chunks) * P);
    grad_.resize(P);
    PackedNet packed;
    Rng stepRng(seed);

    // A fixed validation batch: each held-out point once, with its own (z, t).
    const double* valPoints = points + static_cast<std::size_t>(nTrain) * shape.dim;
    const int valChunks = (nValidation + kTrainChunk - 1) / kTrainChunk;
    const std::uint64_t valSeed = stepRng.next();
    chunkLoss_.resize(std::max(chunks, valChunks));
    auto validationLoss = [&]() {
      packNet(shape, params, false, packed, pool_);
      pool_.run(valChunks, [&](int c, int w) {
        TrainScratch& s = train_[w];
        prepareTrainScratch(shape, s);  // only the workers that run get scratch
        const int rows = std::min(kTrainChunk, nValidation - c * kTrainChunk);
        Rng rng(valSeed, c);
        float tvals[kTrainChunk];
        // Validation rows walk the held-out points in order (no resampling).
        const int d = shape.dim, in0 = shape.inputWidth();
        for (int i = 0; i < rows; ++i) {
          const double* y = valPoints + static_cast<std::size_t>(c * kTrainChunk + i) * d;
          const double t = rng.uniform();
          tvals[i] = static_cast<float>(t);
          for (int j = 0; j < d; ++j) {
            const double z = rng.normal();
            s.x0[i * in0 + j] = static_cast<float>(t * y[j] + (1.0 - t) * z);
            s.target[i * d + j] = static_cast<float>(y[j] - z);
          }
        }
        chunkLoss_[c] = chunkLossGrad(shape, params, packed, s, rows, tvals, 1.0, nullptr);
      });
      double sum = 0;
      for (int c = 0; c < valChunks; ++c) sum += chunkLoss_[c];
      return sum / nValidation;
    };

    std::vector<float> best;
    TrainLoopHooks hooks;
    hooks.step = [&](double lr) {
      const std::uint64_t stepSeed = stepRng.next();
      packNet(shape, params, true, packed, pool_);
      pool_.run(chunks, [&](int c, int w) {
        TrainScratch& s = train_[w];
        prepareTrainScratch(shape, s);  // only the workers that run get scratch
        const int rows = std::min(kTrainChunk, batch - c * kTrainChunk);
        Rng rng(stepSeed, 2 * c);
        Rng normalRng(stepSeed, 2 * c + 1);
        float tvals[kTrainChunk];
        drawCfmRows(shape, points, nTrain, rows, spec.sigma, rng, normalRng, s, tvals);
        chunkLoss_[c] = chunkLossGrad(shape, params, packed, s, rows, tvals, 1.0 / batch,
                                      chunkGrad_.data() + static_cast<std::size_t>(c) * P);
      });
      double loss = 0;
      for (int c = 0; c < chunks; ++c) loss += chunkLoss_[c];
      const double norm2 = reduceGrad(chunks, P);
      adamStep(params, adam, lr, norm2, spec);
      return loss / batch;
    };
    hooks.validationLoss = validationLoss;
    hooks.keepBest = [&] { best = params; };
    hooks.restoreBest = [&] { params = best; };
    TrainResult result = runTrainLoop(spec, nValidation, hooks);
    result.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return result;
  }

  // Sums chunk gradients in chunk order, parallel over a fixed number of
  // parameter ranges; returns the squared gradient norm (partial sums added
  // in range order, so it does not depend on the thread count either).
  double reduceGrad(int chunks, std::size_t P) {
    partNorm_.assign(kParamParts, 0.0);
    pool_.run(kParamParts, [&](int part, int) {
      const std::size_t lo = P * part / kParamParts, hi = P * (part + 1) / kParamParts;
      float* g = grad_.data();
      std::memcpy(g + lo, chunkGrad_.data() + lo, sizeof(float) * (hi - lo));
      for (int c = 1; c < chunks; ++c)
        addInPlace(g + lo, chunkGrad_.data() + static_cast<std::size_t>(c) * P + lo, hi - lo);
      partNorm_[part] = sumSquares(g + lo, hi - lo);
    });
    double norm2 = 0;
    for (double s : partNorm_) norm2 += s;
    return norm2;
  }

  void adamStep(std::vector<float>& params, AdamState& adam, double lr, double gradNorm2,
                const TrainSpec& spec) {
    const std::size_t P = params.size();
    ++adam.step;
    const AdamStepScalars k = adamStepScalars(spec, lr, gradNorm2, adam.step);
    AdamCoefficients coef;
    coef.clip = k.clip;
    coef.beta1 = static_cast<float>(spec.beta1);
    coef.beta2 = static_cast<float>(spec.beta2);
    coef.stepSize = k.stepSize;
    coef.invSqrtBc2 = k.invSqrtBc2;
    coef.epsilon = static_cast<float>(spec.epsilon);
    coef.decay = k.decay;
    pool_.run(kParamParts, [&](int part, int) {
      const std::size_t lo = P * part / kParamParts, hi = P * (part + 1) / kParamParts;
      adamUpdate(params.data() + lo, adam.m.data() + lo, adam.v.data() + lo, grad_.data() + lo,
                 hi - lo, coef);
    });
  }

  double cfmLoss(const NetShape& shape, const std::vector<float>& params, const float* xt,
                 const float* t, const float* target, int n, float* grad) override {
    const std::size_t P = shape.paramCount();
    PackedNet packed;
    packNet(shape, params, grad != nullptr, packed, pool_);
    const int chunks = (n + kTrainChunk - 1) / kTrainChunk;
    chunkLoss_.resize(chunks);
    if (grad) chunkGrad_.resize(static_cast<std::size_t>(chunks) * P);
    const int d = shape.dim, in0 = shape.inputWidth();
    pool_.run(chunks, [&](int c, int w) {
      TrainScratch& s = train_[w];
      prepareTrainScratch(shape, s);  // only the workers that run get scratch
      const int r0 = c * kTrainChunk, rows = std::min(kTrainChunk, n - r0);
      for (int i = 0; i < rows; ++i)
        for (int j = 0; j < d; ++j) {
          s.x0[i * in0 + j] = xt[(r0 + i) * d + j];
          s.target[i * d + j] = target[(r0 + i) * d + j];
        }
      chunkLoss_[c] = chunkLossGrad(shape, params, packed, s, rows, t + r0, 1.0 / n,
                                    grad ? chunkGrad_.data() + static_cast<std::size_t>(c) * P
                                         : nullptr);
    });
    double loss = 0;
    for (int c = 0; c < chunks; ++c) loss += chunkLoss_[c];
    if (grad) {
      grad_.resize(P);
      (void)reduceGrad(chunks, P);
      std::memcpy(grad, grad_.data(), sizeof(float) * P);
    }
    return loss / n;
  }

  // ---- vector field with tangents ----------------------------------------

  void prepareOdeScratch(const NetShape& shape, int r, OdeScratch& s) {
    const int c = kOdeChunk, W = shape.maxWidth(), d = shape.dim;
    s.x0.resize(static_cast<std::size_t>(c) * shape.inputWidth());
    s.bufA.resize(static_cast<std::size_t>(c) * (1 + r) * W);
    s.bufB.resize(static_cast<std::size_t>(c) * (1 + r) * W);
    s.deriv.resize(static_cast<std::size_t>(c) * W);
    s.probes.resize(static_cast<std::size_t>(c) * r * d);
    s.out.resize(static_cast<std::size_t>(c) * d);
    s.y.resize(static_cast<std::size_t>(c) * d);
    s.ytmp.resize(static_cast<std::size_t>(c) * d);
    for (auto& k : s.k) k.resize(static_cast<std::size_t>(c) * d);
    for (auto& k : s.tr) k.resize(c);
  }

  // v and the trace estimate for c points at time t. Tangent row (i, q) carries
  // ∂h/∂y · e_q (exact: e_q the unit vector q; Hutchinson: probe q of point i).
  void evalField(const NetShape& shape, const std::vector<float>& params, const PackedNet& packed,
                 OdeScratch& s, const double* y, double t, int c, bool exact, int r, double* v,
                 double* trace) {
    const int L = shape.layers(), d = shape.dim, in0 = shape.inputWidth();
    const int R = c * (1 + r);
    for (int i = 0; i < c; ++i) {
      for (int j = 0; j < d; ++j) s.x0[i * in0 + j] = static_cast<float>(y[i * d + j]);
      timeFeatures(shape, t, s.x0.data() + i * in0 + d);
    }
    // Layer 0: point rows by GEMM, tangent rows from W0's input columns.
    int width = shape.layerOut(0);
    float* cur = s.bufA.data();
    float* next = s.bufB.data();
    sgemmPacked(c, packed.wT[0], MatView{s.x0.data(), in0, 1}, cur, width, false, s.gemm);
    addBias(cur, c, width, width, params.data() + shape.biasOffset(0));
    for (int i = 0; i < c; ++i)
      siluForward(cur + i * width, cur + i * width, s.deriv.data() + i * width, width);
    for (int i = 0; i < c; ++i) {
      const float* sd = s.deriv.data() + i * width;
      for (int q = 0; q < r; ++q) {
        float* row = cur + static_cast<std::ptrdiff_t>(c + i * r + q) * width;
        if (exact) {
          const float* col = packed.inputColsT.data() + static_cast<std::ptrdiff_t>(q) * width;
          mulTo(row, col, sd, width);
        } else {
          const float* e = s.probes.data() + static_cast<std::ptrdiff_t>(i * r + q) * d;
          for (int j = 0; j < width; ++j) row[j] = 0.0f;
          for (int p = 0; p < d; ++p)
            axpy(row, e[p], packed.inputColsT.data() + static_cast<std::ptrdiff_t>(p) * width, width);
          mulInPlace(row, sd, width);
        }
      }
    }
    // Hidden layers: one GEMM over point and tangent rows together.
    for (int l = 1; l + 1 < L; ++l) {
      const int in = width, out = shape.layerOut(l);
      sgemmPacked(R, packed.wT[l], MatView{cur, in, 1}, next, out, false, s.gemm);
      addBias(next, c, out, out, params.data() + shape.biasOffset(l));
      for (int i = 0; i < c; ++i)
        siluForward(next + i * out, next + i * out, s.deriv.data() + i * out, out);
      for (int i = 0; i < c; ++i) {
        const float* sd = s.deriv.data() + i * out;
        for (int q = 0; q < r; ++q) {
          float* row = next + static_cast<std::ptrdiff_t>(c + i * r + q) * out;
          mulInPlace(row, sd, out);
        }
      }
      std::swap(cur, next);
      width = out;
    }
    // Output layer: v for point rows; the trace contracts tangent rows with W_out.
    const int lo = L - 1;
    const float* Wout = params.data() + shape.weightOffset(lo);
    const float* bout = params.data() + shape.biasOffset(lo);
    sgemmPacked(c, packed.wT[lo], MatView{cur, width, 1}, s.out.data(), d, false, s.gemm);
    for (int i = 0; i < c; ++i) {
      for (int j = 0; j < d; ++j) v[i * d + j] = static_cast<double>(s.out[i * d + j]) + bout[j];
      double tr = 0;
      for (int q = 0; q < r; ++q) {
        const float* row = cur + static_cast<std::ptrdiff_t>(c + i * r + q) * width;
        if (exact) {
          tr += dot(row, Wout + static_cast<std::ptrdiff_t>(q) * width, width);
        } else {
          const float* e = s.probes.data() + static_cast<std::ptrdiff_t>(i * r + q) * d;
          for (int p = 0; p < d; ++p) {
            tr += static_cast<double>(e[p]) * dot(row, Wout + static_cast<std::ptrdiff_t>(p) * width, width);
          }
        }
      }
      trace[i] = exact ? tr : tr / r;
    }
  }

  void integrate(const NetShape& shape, const std::vector<float>& params, double* y,
                 double* traceIntegral, int n, const OdeSpec& spec, std::uint64_t seed) override {
    const bool exact = spec.trace == TraceMode::Exact;
    const int d = shape.dim;
    const int r = exact ? d : spec.probes;
    PackedNet packed;
    packNet(shape, params, false, packed, pool_);
    const int chunks = (n + kOdeChunk - 1) / kOdeChunk;
    const double h = (spec.t1 - spec.t0) / spec.steps;
    pool_.run(chunks, [&](int chunk, int w) {
      OdeScratch& s = ode_[w];
      prepareOdeScratch(shape, r, s);  // only the workers that run get scratch
      const int i0 = chunk * kOdeChunk, c = std::min(kOdeChunk, n - i0);
      if (!exact) {
        Rng rng(seed, chunk);
        for (int i = 0; i < c * r * d; ++i) s.probes[i] = (rng.next() >> 63) ? 1.0f : -1.0f;
      }
      double* yc = y + static_cast<std::ptrdiff_t>(i0) * d;
      double* I = traceIntegral + i0;
      for (int i = 0; i < c; ++i) I[i] = 0.0;
      const int m = c * d;
      for (int step = 0; step < spec.steps; ++step) {
        const double t = spec.t0 + step * h;
        evalField(shape, params, packed, s, yc, t, c, exact, r, s.k[0].data(), s.tr[0].data());
        for (int i = 0; i < m; ++i) s.ytmp[i] = yc[i] + 0.5 * h * s.k[0][i];
        evalField(shape, params, packed, s, s.ytmp.data(), t + 0.5 * h, c, exact, r, s.k[1].data(), s.tr[1].data());
        for (int i = 0; i < m; ++i) s.ytmp[i] = yc[i] + 0.5 * h * s.k[1][i];
        evalField(shape, params, packed, s, s.ytmp.data(), t + 0.5 * h, c, exact, r, s.k[2].data(), s.tr[2].data());
        for (int i = 0; i < m; ++i) s.ytmp[i] = yc[i] + h * s.k[2][i];
        evalField(shape, params, packed, s, s.ytmp.data(), t + h, c, exact, r, s.k[3].data(), s.tr[3].data());
        for (int i = 0; i < m; ++i)
          yc[i] += h / 6.0 * (s.k[0][i] + 2.0 * s.k[1][i] + 2.0 * s.k[2][i] + s.k[3][i]);
        for (int i = 0; i < c; ++i)
          I[i] += h / 6.0 * (s.tr[0][i] + 2.0 * s.tr[1][i] + 2.0 * s.tr[2][i] + s.tr[3][i]);
      }
    });
  }

  void field(const NetShape& shape, const std::vector<float>& params, const double* y, double t,
             double* v, double* trace, int n) override {
    const int d = shape.dim;
    PackedNet packed;
    packNet(shape, params, false, packed, pool_);
    const int chunks = (n + kOdeChunk - 1) / kOdeChunk;
    pool_.run(chunks, [&](int chunk, int w) {
      const int i0 = chunk * kOdeChunk, c = std::min(kOdeChunk, n - i0);
      prepareOdeScratch(shape, d, ode_[w]);
      evalField(shape, params, packed, ode_[w], y + static_cast<std::ptrdiff_t>(i0) * d, t, c,
                true, d, v + static_cast<std::ptrdiff_t>(i0) * d, trace + i0);
    });
  }

 private:
  ThreadPool pool_;
  std::string note_;
  std::vector<TrainScratch> train_;
  std::vector<OdeScratch> ode_;
  std::vector<float> chunkGrad_;
  std::vector<double> chunkLoss_;
  std::vector<float> grad_;
  std::vector<double> partNorm_;
};

}  // namespace

std::unique_ptr<Backend> makeCpuBackend(int threads, std::string note) {
  return std::make_unique<CpuBackend>(threads > 0 ? threads : defaultThreadCount(), std::move(note));
}

}  // namespace nestflow
