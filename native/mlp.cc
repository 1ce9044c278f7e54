#include "mlp.h"

#include <algorithm>
#include <cmath>

#include "rng.h"

namespace nestflow {

std::size_t NetShape::weightOffset(int l) const {
  std::size_t off = 0;
  for (int i = 0; i < l; ++i) off += static_cast<std::size_t>(layerIn(i) + 1) * layerOut(i);
  return off;
}

int NetShape::maxWidth() const {
  int w = std::max(dim, inputWidth());
  for (int h : hidden) w = std::max(w, h);
  return w;
}

double NetShape::forwardMacs() const {
  double macs = 0;
  for (int l = 0; l < layers(); ++l) macs += static_cast<double>(layerIn(l)) * layerOut(l);
  return macs;
}

void timeFeatures(const NetShape& shape, double t, float* out) {
  out[0] = static_cast<float>(t);
  for (int k = 1; k <= shape.timeFreqs; ++k) {
    out[2 * k - 1] = static_cast<float>(std::sin(2.0 * M_PI * k * t));
    out[2 * k] = static_cast<float>(std::cos(2.0 * M_PI * k * t));
  }
}

void initParams(const NetShape& shape, std::uint64_t seed, std::vector<float>& params) {
  params.assign(shape.paramCount(), 0.0f);
  Rng rng(seed, 0x1417);
  for (int l = 0; l + 1 < shape.layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(shape.layerIn(l)));
    const std::size_t w0 = shape.weightOffset(l);
    const std::size_t count = static_cast<std::size_t>(shape.layerIn(l) + 1) * shape.layerOut(l);
    for (std::size_t i = 0; i < count; ++i)
      params[w0 + i] = static_cast<float>((2.0 * rng.uniform() - 1.0) * bound);
  }
}

}  // namespace nestflow
