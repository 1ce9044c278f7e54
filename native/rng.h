// xoshiro256** seeded through splitmix64: small, fast, and its whole state
// (four words) is saved with the flow so a resumed run continues the stream.
#pragma once
#include <cmath>
#include <cstdint>

namespace nestflow {

inline std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

class Rng {
 public:
  Rng() { seed(0); }
  explicit Rng(std::uint64_t s) { seed(s); }
  // An independent stream for sub-task `index` of a call with seed `s`:
  // results depend on (s, index) only, never on which thread runs the task.
  Rng(std::uint64_t s, std::uint64_t index) { seed(s ^ (0xD1B54A32D192ED03ull * (index + 1))); }

  void seed(std::uint64_t s) {
    std::uint64_t x = s;
    for (auto& w : state) w = splitmix64(x);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state[1] * 5, 7) * 9;
    const std::uint64_t t = state[1] << 17;
    state[2] ^= state[0];
    state[3] ^= state[1];
    state[1] ^= state[2];
    state[0] ^= state[3];
    state[2] ^= t;
    state[3] = rotl(state[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform integer in [0, n).
  std::uint64_t below(std::uint64_t n) {
    // Lemire's multiply-shift; the tiny bias (< n / 2^64) is irrelevant here.
    return static_cast<std::uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64);
  }

  // Standard normal (Box-Muller, one value per pair: no hidden cached
  // state, so the four state words are the whole generator).
  double normal() {
    double u1 = uniform();
    while (u1 <= 0.0) u1 = uniform();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
  }

  // n standard normals, both values of each Box-Muller pair used (half the
  // log/sqrt/trig of normal()); fully determined by the state on entry.
  void normals(double* out, int n) {
    int i = 0;
    for (; i + 1 < n; i += 2) {
      double u1 = uniform();
      while (u1 <= 0.0) u1 = uniform();
      const double r = std::sqrt(-2.0 * std::log(u1));
      const double a = 2.0 * M_PI * uniform();
      out[i] = r * std::cos(a);
      out[i + 1] = r * std::sin(a);
    }
    if (i < n) out[i] = normal();
  }

  std::uint64_t state[4];

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
};

}  // namespace nestflow
