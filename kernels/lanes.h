// Word math of packed-sum's lanes, written once for the CPU and CUDA kernels.
//
// Element i of a code becomes a w-bit lane (w = 2, 4 or 8) at bits [w*i, w*(i+1)) of a little-
// endian bit stream: the bit of a 1-bit sign code, or v + 1 in {0, 1, 2} of a ternary code v.
// Lanes never straddle a byte, so a byte-wise integer sum (an allreduce of uint8) adds every lane
// on its own while no lane overflows. Word j of a plane (elements 32j .. 32j+31) maps to the w
// words [w*j, w*(j+1)) of the lanes. Spreading and compressing are Morton-style shift-and-mask
// steps over whole words; the summed lanes become bit-sliced counter planes that bitslice.h
// compares (the vote kernels' own math).
#pragma once

#include "bitslice.h"
#include "hd.h"

namespace lioncub {

// Bit i of x -> bit 2i of the result.
LIONCUB_HD uint64_t spread2(uint32_t x) {
  uint64_t v = x;
  v = (v | v << 16) & 0x0000FFFF0000FFFFull;
  v = (v | v << 8) & 0x00FF00FF00FF00FFull;
  v = (v | v << 4) & 0x0F0F0F0F0F0F0F0Full;
  v = (v | v << 2) & 0x3333333333333333ull;
  v = (v | v << 1) & 0x5555555555555555ull;
  return v;
}

// Bit 2i of v -> bit i of the result (odd bits ignored).
LIONCUB_HD uint32_t compress2(uint64_t v) {
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
LIONCUB_HD void spread_lanes(uint32_t x, uint32_t* out) {
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
LIONCUB_HD uint32_t compress_lanes(const uint32_t* in, int k) {
  if constexpr (w == 1) {
    return in[0] >> k;
  } else {
    const uint64_t lo = compress_lanes<w / 2>(in, k), hi = compress_lanes<w / 2>(in + w / 2, k);
    return compress2(lo | hi << 32);
  }
}

// The w lane words of one plane word. `valid` masks the pad elements, whose lanes stay 0.
template <int w>
LIONCUB_HD void pack_lanes_word(uint32_t sign, uint32_t nonzero, bool ternary, uint32_t valid,
                                uint32_t* out) {
  if (!ternary) {
    spread_lanes<w>(sign & valid, out);
    return;
  }
  // v + 1: lane bit 0 set for v = 0, lane bit 1 set for v = +1.
  uint32_t zero[w], plus[w];
  spread_lanes<w>(~nonzero & valid, zero);
  spread_lanes<w>(sign & nonzero & valid, plus);
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int q = 0; q < w; ++q) out[q] = zero[q] | plus[q] << 1;
}

// The result planes of one plane word from its w summed lane words: the majority of nvec 1-bit
// codes (count vs nvec/2, ties only for even nvec), or the sign of the ternary sum (sum of v+1 vs
// nvec); ties per policy. Needs the largest sum (nvec, or 2*nvec) below 2^w.
template <int w>
LIONCUB_HD void resolve_lanes_word(const uint32_t* in, int nvec, bool ternary, bool alternate,
                                   bool alternate_positive, uint32_t& sign, uint32_t& nonzero) {
  uint32_t cnt[w];
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int k = 0; k < w; ++k) cnt[k] = compress_lanes<w>(in, k);
  if (!ternary) {
    majority_planes<w>(cnt, nvec, alternate, alternate_positive, sign, nonzero);
  } else {
    uint32_t gt, eq;
    compare_with_constant<w>(cnt, static_cast<uint32_t>(nvec), gt, eq);
    resolve_ties(gt, eq, alternate, alternate_positive, sign, nonzero);
  }
}

// packed-sum's lane width for nvec codes: 2, 4 or 8 bits, 0 when 8-bit lanes could overflow.
LIONCUB_HD int lane_width_for(int nvec, bool ternary) {
  const int max_sum = ternary ? 2 * nvec : nvec;
  if (max_sum <= 3) return 2;
  if (max_sum <= 15) return 4;
  if (max_sum <= 255) return 8;
  return 0;
}

}  // namespace lioncub
