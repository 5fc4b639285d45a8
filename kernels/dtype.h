// Storage types of parameters, momentum and gradients, and their exact conversions to fp32.
// Written with integer operations only so that host and device convert identically.
#pragma once

#include "hd.h"

namespace lioncub {

struct bf16 {
  uint16_t bits;
};
struct fp16 {
  uint16_t bits;
};
static_assert(sizeof(bf16) == 2 && sizeof(fp16) == 2, "16-bit storage types must be packed");

LIONCUB_HD float to_float(float x) { return x; }
LIONCUB_HD float to_float(bf16 x) { return bits_float(uint32_t(x.bits) << 16); }

// IEEE binary16 -> binary32 is exact; subnormals are normalized by hand.
LIONCUB_HD float to_float(fp16 x) {
  const uint32_t sign = uint32_t(x.bits & 0x8000u) << 16;
  const uint32_t exp = (x.bits >> 10) & 0x1fu;
  uint32_t man = x.bits & 0x3ffu;
  if (exp == 0x1fu) return bits_float(sign | 0x7f800000u | (man << 13));  // Inf, NaN
  if (exp != 0) return bits_float(sign | ((exp + 112u) << 23) | (man << 13));
  if (man == 0) return bits_float(sign);  // +-0
  uint32_t e = 113;                       // 127 - 14: exponent of man * 2^-24 once normalized
  while ((man & 0x400u) == 0) {
    man <<= 1;
    --e;
  }
  return bits_float(sign | (e << 23) | ((man & 0x3ffu) << 13));
}

// fp32 -> bf16, round to nearest even; NaN stays a (quiet) NaN with its sign. Branch-free so
// that the CPU loops vectorize.
LIONCUB_HD bf16 to_bf16(float f) {
  const uint32_t u = float_bits(f);
  const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
  const uint32_t quiet_nan = (u >> 16) | 0x40u;
  return bf16{uint16_t((u & 0x7fffffffu) > 0x7f800000u ? quiet_nan : rounded)};
}

template <class T>
LIONCUB_HD T from_float(float f);
template <>
LIONCUB_HD float from_float<float>(float f) {
  return f;
}
template <>
LIONCUB_HD bf16 from_float<bf16>(float f) {
  return to_bf16(f);
}

}  // namespace lioncub
