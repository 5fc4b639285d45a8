// Test support: seeded random inputs (the seed is printed, LIONCUB_TEST_SEED replays it) and
// independent scalar references. The references use plain C++ arithmetic and their own
// conversions; they never call lioncub's element math, so a bug there cannot hide in both.
#pragma once

#include <gtest/gtest.h>

#include "lioncub/lioncub.h"

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

namespace lioncub::test {

inline uint64_t test_seed() {
  static const uint64_t seed = [] {
    const char* env = std::getenv("LIONCUB_TEST_SEED");
    const uint64_t s = env ? std::strtoull(env, nullptr, 0) : std::random_device{}();
    std::printf("[lioncub] random seed %llu (set LIONCUB_TEST_SEED to replay)\n",
                static_cast<unsigned long long>(s));
    return s;
  }();
  return seed;
}

// A generator per test, derived from the run's seed and the test's name.
inline std::mt19937_64 rng_for_test() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string name = std::string(info->test_suite_name()) + "." + info->name();
  uint64_t h = test_seed();
  for (char ch : name) h = h * 1099511628211ull + uint8_t(ch);
  return std::mt19937_64(h);
}

inline const std::vector<size_t>& odd_sizes() {
  static const std::vector<size_t> sizes{0, 1, 31, 32, 33, 1000, (1u << 20) + 7};
  return sizes;
}

inline uint32_t bits_of(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return u;
}
inline float float_of(uint32_t u) {
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}

// bf16 by value comparison: the two bf16 neighbours of f, the nearer one, ties to even.
inline uint16_t ref_to_bf16(float f) {
  if (std::isnan(f)) return uint16_t((bits_of(f) >> 16) | 0x40);
  const uint32_t lo_bits = bits_of(f) & 0xffff0000u;
  const float lo = float_of(lo_bits);
  if (lo == f) return uint16_t(lo_bits >> 16);
  const uint32_t hi_bits = lo_bits + 0x10000u;  // next bf16 away from zero (may be Inf)
  const double hi = (hi_bits & 0x7f800000u) == 0x7f800000u
                        ? std::copysign(std::ldexp(1.0, 128), f)  // rounding boundary at 2^128
                        : double(float_of(hi_bits));
  const double dlo = std::fabs(double(f) - double(lo));
  const double dhi = std::fabs(hi - double(f));
  if (dlo < dhi) return uint16_t(lo_bits >> 16);
  if (dhi < dlo) return uint16_t(hi_bits >> 16);
  return ((lo_bits >> 16) & 1u) ? uint16_t(hi_bits >> 16) : uint16_t(lo_bits >> 16);
}
inline float ref_from_bf16(uint16_t b) { return float_of(uint32_t(b) << 16); }

// IEEE half by its definition: (-1)^s * 2^(e-15) * 1.m, subnormals 2^-14 * 0.m.
inline float ref_from_fp16(uint16_t h) {
  const int s = h >> 15, e = (h >> 10) & 31, m = h & 1023;
  double v;
  if (e == 31) {
    v = m ? NAN : INFINITY;
  } else if (e == 0) {
    v = std::ldexp(double(m), -24);
  } else {
    v = std::ldexp(double(1024 + m), e - 25);
  }
  return float(s ? -v : v);
}

inline bool ref_bit(const std::vector<uint32_t>& plane, size_t i) {
  return (plane[i / 32] >> (i % 32)) & 1u;
}

// Random finite floats spanning signs and magnitudes, with exact zeros mixed in.
inline std::vector<float> random_floats(std::mt19937_64& rng, size_t n, double zero_fraction = 0.05) {
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  std::vector<float> v(n);
  for (auto& x : v) x = unit(rng) < zero_fraction ? 0.0f : normal(rng);
  return v;
}

inline size_t words_of(size_t n) { return (n + 31) / 32; }

}  // namespace lioncub::test
