// The vector field v(y, t): an MLP on [y, time features] with SiLU hidden
// layers and a linear output. Parameters live in one flat float32 vector:
// per layer, W row-major [out][in] then b[out].
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace nestflow {

struct NetShape {
  int dim = 0;
  std::vector<int> hidden;
  int timeFreqs = 3;  // time features: t, sin(2πkt), cos(2πkt) for k = 1..timeFreqs

  int timeFeatures() const { return 1 + 2 * timeFreqs; }
  int inputWidth() const { return dim + timeFeatures(); }
  int layers() const { return static_cast<int>(hidden.size()) + 1; }
  int layerIn(int l) const { return l == 0 ? inputWidth() : hidden[l - 1]; }
  int layerOut(int l) const { return l == layers() - 1 ? dim : hidden[l]; }
  std::size_t weightOffset(int l) const;
  std::size_t biasOffset(int l) const { return weightOffset(l) + static_cast<std::size_t>(layerIn(l)) * layerOut(l); }
  std::size_t paramCount() const { return weightOffset(layers()); }
  int maxWidth() const;
  // Multiply-adds of one forward pass for one point (for FLOP/s figures).
  double forwardMacs() const;
};

void timeFeatures(const NetShape& shape, double t, float* out);

// Uniform(±1/sqrt(fan_in)) hidden layers (PyTorch's default), zero output
// layer: the untrained flow is the identity map, q = N(0, I).
void initParams(const NetShape& shape, std::uint64_t seed, std::vector<float>& params);

struct AdamState {
  std::vector<float> m;
  std::vector<float> v;
  std::uint64_t step = 0;
};

}  // namespace nestflow
