// Word math of packed-sum: 1-bit planes spread into w-bit lanes (w = 2, 4, 8; lanes never
// straddle a byte, so a byte-wise integer sum adds every lane independently while no lane
// overflows), and lanes compressed back into bit-sliced counter planes that kernels/bitslice.h
// compares. Morton-style shift-and-mask steps over whole words; no per-element loops.
#pragma once

#include <cstdint>

namespace lioncub::coll {

// Bit i of x -> bit 2i of the result.
inline uint64_t spread2(uint32_t x) {
  uint64_t v = x;
  v = (v | v << 16) & 0x0000FFFF0000FFFFull;
  v = (v | v << 8) & 0x00FF00FF00FF00FFull;
  v = (v | v << 4) & 0x0F0F0F0F0F0F0F0Full;
  v = (v | v << 2) & 0x3333333333333333ull;
  v = (v | v << 1) & 0x5555555555555555ull;
  return v;
}

// Bit 2i of v -> bit i of the result (odd bits ignored).
inline uint32_t compress2(uint64_t v) {
  v &= 0x5555555555555555ull;
  v = (v | v >> 1) & 0x3333333333333333ull;
  v = (v | v >> 2) & 0x0F0F0F0F0F0F0F0Full;
  v = (v | v >> 4) & 0x00FF00FF00FF00FFull;
  v = (v | v >> 8) & 0x0000FFFF0000FFFFull;
  v = (v | v >> 16) & 0x00000000FFFFFFFFull;
  return static_cast<uint32_t>(v);
}

// Element i of the 32 in x -> bit w*i of the w words at out (lane i's least significant bit).
template <int w>
inline void spread_lanes(uint32_t x, uint32_t* out) {
  if constexpr (w == 1) {
    out[0] = x;
  } else {
    const uint64_t y = spread2(x);
    spread_lanes<w / 2>(static_cast<uint32_t>(y), out);
    spread_lanes<w / 2>(static_cast<uint32_t>(y >> 32), out + w / 2);
  }
}

// Bit w*i + k of the w words at in (bit k of lane i) -> bit i of the result.
template <int w>
inline uint32_t compress_lanes(const uint32_t* in, int k) {
  if constexpr (w == 1) {
    return in[0] >> k;
  } else {
    const uint64_t lo = compress_lanes<w / 2>(in, k), hi = compress_lanes<w / 2>(in + w / 2, k);
    return compress2(lo | hi << 32);
  }
}

}  // namespace lioncub::coll
