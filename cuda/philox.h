// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator, so the
// device draws stream i of seed s with no state to carry between kernels, and
// the host computes the very same numbers for the CPU reference tests.
#pragma once
#include <cmath>
#include <cstdint>

#if defined(__CUDACC__)
#define NESTFLOW_HD __host__ __device__ inline
#else
#define NESTFLOW_HD inline
#endif

namespace nestflow {
namespace philox {

struct Block {
  std::uint32_t v[4];
};

NESTFLOW_HD void mulhilo(std::uint32_t a, std::uint32_t b, std::uint32_t& hi, std::uint32_t& lo) {
  const std::uint64_t p = static_cast<std::uint64_t>(a) * b;
  hi = static_cast<std::uint32_t>(p >> 32);
  lo = static_cast<std::uint32_t>(p);
}

// Ten rounds; the key is bumped by the Weyl constants between rounds.
NESTFLOW_HD Block philox4x32_10(Block ctr, std::uint32_t k0, std::uint32_t k1) {
  for (int round = 0; round < 10; ++round) {
    std::uint32_t hi0, lo0, hi1, lo1;
    mulhilo(0xD2511F53u, ctr.v[0], hi0, lo0);
    mulhilo(0xCD9E8D57u, ctr.v[2], hi1, lo1);
    ctr = Block{{hi1 ^ ctr.v[1] ^ k0, lo1, hi0 ^ ctr.v[3] ^ k1, lo0}};
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return ctr;
}

// Four uniforms in (0, 1) for element `index` of stream `stream` under `seed`:
// the counter is (index, stream), the key the seed's two halves.
NESTFLOW_HD Block draw(std::uint64_t seed, std::uint64_t stream, std::uint64_t index) {
  const Block ctr{{static_cast<std::uint32_t>(index), static_cast<std::uint32_t>(index >> 32), static_cast<std::uint32_t>(stream),
                   static_cast<std::uint32_t>(stream >> 32)}};
  return philox4x32_10(ctr, static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32));
}

// A 32-bit word to a float in (0, 1): never 0, so log() is finite.
NESTFLOW_HD float toUniform(std::uint32_t x) { return (static_cast<float>(x >> 8) + 0.5f) * (1.0f / 16777216.0f); }

// Two standard normals from two words (Box–Muller).
NESTFLOW_HD void toNormal2(std::uint32_t a, std::uint32_t b, float& n0, float& n1) {
  const float r = sqrtf(-2.0f * logf(toUniform(a)));
  const float phi = 6.283185307179586f * toUniform(b);
  n0 = r * cosf(phi);
  n1 = r * sinf(phi);
}

}  // namespace philox
}  // namespace nestflow
