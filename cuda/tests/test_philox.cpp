// Philox4x32-10 against Random123's known answers (host), and the device's
// normals against the host's from the same counters (when a GPU answers).
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "../philox.h"
#include "reference.h"
#ifdef NESTFLOW_WITH_CUDA
#include "../field_kernels.h"
#endif

using nestflow::philox::Block;

// `test_philox host`: known answers and host normals; `test_philox device`:
// the device's normals against the host's.
int main(int argc, char** argv) {
  const std::string part = argc > 1 ? argv[1] : "host";
  struct Kat {
    Block ctr;
    std::uint32_t k0, k1;
    Block want;
  };
  const Kat kats[] = {
      {{{0, 0, 0, 0}}, 0, 0, {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}}},
      {{{0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}}, 0xffffffffu, 0xffffffffu, {{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}}},
      {{{0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}}, 0xa4093822u, 0x299f31d0u, {{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}}},
  };
  int failures = 0;
  for (const Kat& k : kats) {
    const Block got = nestflow::philox::philox4x32_10(k.ctr, k.k0, k.k1);
    for (int i = 0; i < 4; ++i) {
      if (got.v[i] != k.want.v[i]) {
        std::printf("FAIL philox KAT word %d: got %08x want %08x\n", i, got.v[i], k.want.v[i]);
        ++failures;
      }
    }
  }
  std::printf("philox4x32-10 known answers: %s\n", failures ? "FAIL" : "ok");
  if (part == "device") {
#ifndef NESTFLOW_WITH_CUDA
    std::printf("skipped: built without CUDA\n");
    return nestflow::reference::kSkip;
#endif
  }
  // Host normals: mean 0, variance 1 over 200,000 draws (5σ bounds).
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int p = 0; p < n / 2; ++p) {
    const Block b = nestflow::philox::draw(42, 7, p);
    float a0, a1;
    nestflow::philox::toNormal2(b.v[0], b.v[1], a0, a1);
    s += a0 + a1;
    s2 += a0 * a0 + a1 * a1;
  }
  const double mean = s / n, var = s2 / n - mean * mean;
  if (std::fabs(mean) > 5 / std::sqrt(n) || std::fabs(var - 1) > 5 * std::sqrt(2.0 / n)) {
    std::printf("FAIL host normals: mean %g variance %g\n", mean, var);
    ++failures;
  }
  if (part != "device") return failures ? 1 : 0;
#ifdef NESTFLOW_WITH_CUDA
  std::string why;
  if (!nestflow::cuda::deviceAvailable(&why)) {
    std::printf("device part skipped: %s\n", why.c_str());
    return failures ? 1 : nestflow::reference::kSkip;
  }
  std::printf("device: %s\n", nestflow::cuda::deviceDescription().c_str());
  std::vector<float> dev(n);
  nestflow::cuda::normalsHost(42, 7, dev.data(), n);
  int mismatches = 0;
  for (int p = 0; p < n / 2; ++p) {
    const Block b = nestflow::philox::draw(42, 7, p);
    float a0, a1;
    nestflow::philox::toNormal2(b.v[0], b.v[1], a0, a1);
    // Same counters, same words; only the device's logf/cosf may differ by ulps.
    if (!nestflow::reference::near(dev[2 * p], a0, 1e-5) || !nestflow::reference::near(dev[2 * p + 1], a1, 1e-5)) ++mismatches;
  }
  if (mismatches) {
    std::printf("FAIL device normals differ from the host's at %d of %d draws\n", mismatches, n);
    ++failures;
  } else {
    std::printf("device normals = host normals at all %d draws\n", n);
  }
#endif
  return failures ? 1 : 0;
}
