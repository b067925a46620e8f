// blockspec/random.hpp — seeded, portable random streams.
//
// Every random choice in blockspec takes a std::uint64_t seed and never a
// caller's generator. Stream i of seed s is an independent xoshiro256**
// generator whose state is expanded by SplitMix64 from (s, i), so probe i of a
// run draws the same numbers whatever the thread count or the order of probes.
// Normal variates use the Marsaglia polar method and Gamma variates the
// Marsaglia–Tsang method, written here so that results are bit-identical across
// standard libraries (std::normal_distribution is not).
// Reference: Blackman & Vigna, "Scrambled linear pseudorandom number
// generators" (2021); Marsaglia & Tsang, ACM TOMS 26 (2000).
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <limits>

namespace blockspec {

/// SplitMix64 step: a good 64-bit mixer, used to seed streams.
constexpr std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Counter-based random bits: a function of (seed, stream, counter) alone, so any element of a
/// stream can be drawn without drawing the ones before it (distributed probes, probes.hpp).
/// Three rounds of the SplitMix64 finalizer, one per argument.
constexpr std::uint64_t counter_bits(std::uint64_t seed, std::uint64_t stream, std::uint64_t counter) noexcept {
  std::uint64_t s = seed;
  std::uint64_t k = splitmix64(s) ^ (stream * 0xD1B54A32D192ED03ULL + 0x632BE59BD9B4E019ULL);
  k = splitmix64(k) ^ (counter * 0xA0761D6478BD642FULL + 0xE7037ED1A0B428DBULL);
  return splitmix64(k);
}

/// xoshiro256** with helpers for the distributions blockspec needs.
/// Satisfies std::uniform_random_bit_generator.
class Rng {
 public:
  using result_type = std::uint64_t;

  /// Stream `stream` of seed `seed`; streams of one seed are independent.
  explicit constexpr Rng(std::uint64_t seed, std::uint64_t stream = 0) noexcept {
    std::uint64_t sm = seed;
    const std::uint64_t mixed = splitmix64(sm) ^ (stream * 0xD1B54A32D192ED03ULL + 0x632BE59BD9B4E019ULL);
    std::uint64_t st = mixed;
    for (auto& w : s_) w = splitmix64(st);
  }

  static constexpr result_type min() noexcept { return 0; }
  static constexpr result_type max() noexcept { return std::numeric_limits<result_type>::max(); }

  constexpr result_type operator()() noexcept {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

  /// Uniform in (0, 1): never exactly zero, safe for log().
  double uniform_open() noexcept { return (static_cast<double>((*this)() >> 11) + 0.5) * 0x1.0p-53; }

  /// +1 or -1 with equal probability.
  double rademacher() noexcept { return ((*this)() >> 63) ? 1.0 : -1.0; }

  /// Standard normal (Marsaglia polar method; caches the second variate).
  double normal() noexcept {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    double u, v, s;
    do {
      u = 2.0 * uniform() - 1.0;
      v = 2.0 * uniform() - 1.0;
      s = u * u + v * v;
    } while (s >= 1.0 || s == 0.0);
    const double f = std::sqrt(-2.0 * std::log(s) / s);
    spare_ = v * f;
    has_spare_ = true;
    return u * f;
  }

  /// Gamma(shape, 1) for shape > 0 (Marsaglia–Tsang, with the boost for shape < 1).
  double gamma(double shape) noexcept {
    if (shape < 1.0) return gamma(shape + 1.0) * std::pow(uniform_open(), 1.0 / shape);
    const double d = shape - 1.0 / 3.0;
    const double c = 1.0 / std::sqrt(9.0 * d);
    for (;;) {
      double x, v;
      do {
        x = normal();
        v = 1.0 + c * x;
      } while (v <= 0.0);
      v = v * v * v;
      const double u = uniform_open();
      if (u < 1.0 - 0.0331 * x * x * x * x) return d * v;
      if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
    }
  }

  /// Student-t with `dof` > 0 degrees of freedom.
  double student_t(double dof) noexcept {
    const double z = normal();
    const double chi2 = 2.0 * gamma(0.5 * dof);
    return z / std::sqrt(chi2 / dof);
  }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }
  std::array<std::uint64_t, 4> s_{};
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace blockspec
