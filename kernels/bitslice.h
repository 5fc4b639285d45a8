// Word-level math of the vote and of the ternary sum, written once for the CPU and CUDA kernels.
//
// A bit-sliced counter holds, for every bit position of a word, a K-bit count: cnt[k] is the
// plane of bit k. Adding a word adds 1 to the count of every position whose bit is set, so one
// operation on a word counts 32 elements (64 or 256 on the CPU, where W is wider). Inputs are
// added four at a time with carry-save adders (Harley-Seal): sum = a^b^c, carry = maj(a,b,c).
// W is any type with the bitwise operators: uint32_t on the device, uint64_t or a GCC vector on
// the host.
#pragma once

#include "hd.h"

namespace lioncub {

// Counter depth for counts up to nvec: the number of bits of nvec.
LIONCUB_HD int counter_bits(int nvec) {
  int k = 0;
  while ((nvec >> k) != 0) ++k;
  return k;
}

template <class W>
LIONCUB_HD void full_add(W a, W b, W c, W& sum, W& carry) {
  const W u = a ^ b;
  sum = u ^ c;
  carry = (a & b) | (u & c);
}

// Adds x at weight 2^from. Depth K is a compile-time bound so that counters stay in registers.
template <int K, class W>
LIONCUB_HD void counter_add(W (&cnt)[K], W x, int from = 0) {
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int k = 0; k < K; ++k) {
    if (k < from) continue;
    const W carry = cnt[k] & x;
    cnt[k] = cnt[k] ^ x;
    x = carry;
  }
}

// Adds four words: two full adders at weight 1, one at weight 2, then a ripple. Needs K >= 3.
template <int K, class W>
LIONCUB_HD void counter_add4(W (&cnt)[K], W a, W b, W c, W d) {
  static_assert(K >= 3, "counter_add4 needs a counter of at least 3 bits");
  W s, t1, t2, t3;
  full_add(cnt[0], a, b, s, t1);
  full_add(s, c, d, cnt[0], t2);
  full_add(cnt[1], t1, t2, s, t3);
  cnt[1] = s;
  counter_add<K>(cnt, t3, 2);
}

// Adds nvec inputs, load(v) giving input v, into a zeroed counter of depth K (2^K > nvec).
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <int K, class W, class Load>
LIONCUB_HD void count_inputs(int nvec, Load&& load, W (&cnt)[K]) {
  for (int k = 0; k < K; ++k) cnt[k] = W{};
  int v = 0;
  for (; v + 4 <= nvec; v += 4) counter_add4<K>(cnt, load(v), load(v + 1), load(v + 2), load(v + 3));
  for (; v < nvec; ++v) counter_add<K>(cnt, load(v));
}

// Counts the +1 codes (sign & nonzero) and the -1 codes (~sign & nonzero) of nvec ternary
// inputs; sign(v) and nonzero(v) load input v's planes.
#if defined(__CUDACC__)
#pragma nv_exec_check_disable
#endif
template <int K, class W, class LoadSign, class LoadNonzero>
LIONCUB_HD void count_trits(int nvec, LoadSign&& sign, LoadNonzero&& nonzero, W (&pos)[K],
                            W (&neg)[K]) {
  count_inputs<K>(nvec, [&](int v) { return sign(v) & nonzero(v); }, pos);
  count_inputs<K>(nvec, [&](int v) { return ~sign(v) & nonzero(v); }, neg);
}

// Per position: gt = (count > t), eq = (count == t), for a constant t < 2^K. MSB first.
template <int K, class W>
LIONCUB_HD void compare_with_constant(const W (&cnt)[K], uint32_t t, W& gt, W& eq) {
  gt = W{};
  eq = ~W{};
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int k = K - 1; k >= 0; --k) {
    if ((t >> k) & 1u) {
      eq = eq & cnt[k];
    } else {
      gt = gt | (eq & cnt[k]);
      eq = eq & ~cnt[k];
    }
  }
}

// Per position: gt = (a > b), eq = (a == b) for two counters.
template <int K, class W>
LIONCUB_HD void compare_counters(const W (&a)[K], const W (&b)[K], W& gt, W& eq) {
  gt = W{};
  eq = ~W{};
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int k = K - 1; k >= 0; --k) {
    gt = gt | (eq & a[k] & ~b[k]);
    eq = eq & ~(a[k] ^ b[k]);
  }
}

// Turns "positive" and "tie" masks into the sign and nonzero planes of u, per tie policy.
// alternate_positive: the sign a tie gets under the alternate policy on this step.
template <class W>
LIONCUB_HD void resolve_ties(W positive, W tie, bool alternate, bool alternate_positive, W& sign,
                             W& nonzero) {
  if (alternate) {
    sign = positive | (alternate_positive ? tie : W{});
    nonzero = ~W{};
  } else {
    sign = positive;
    nonzero = ~tie;
  }
}

// Majority of nvec votes from a counter: +1 when count > nvec/2, ties only for even nvec.
template <int K, class W>
LIONCUB_HD void majority_planes(const W (&cnt)[K], int nvec, bool alternate, bool alternate_positive,
                                W& sign, W& nonzero) {
  W gt, eq;
  compare_with_constant<K>(cnt, uint32_t(nvec) / 2u, gt, eq);
  const W tie = (nvec % 2 == 0) ? eq : W{};
  resolve_ties(gt, tie, alternate, alternate_positive, sign, nonzero);
}

// Count of position `bit` of a counter.
template <int K>
LIONCUB_HD uint32_t counter_value(const uint32_t (&cnt)[K], int bit) {
  uint32_t v = 0;
#if defined(__CUDA_ARCH__)
#pragma unroll
#endif
  for (int k = 0; k < K; ++k) v |= ((cnt[k] >> bit) & 1u) << k;
  return v;
}

// Mask of the valid bits of word `w` of a plane of `numel` elements (pad bits are 0).
LIONCUB_HD uint32_t valid_bits(uint64_t w, uint64_t numel) {
  const uint64_t first = w * 32u;
  if (first + 32u <= numel) return 0xffffffffu;
  return first >= numel ? 0u : (0xffffffffu >> (32u - uint32_t(numel - first)));
}

// Tie sign of the alternate policy: +1 on even steps, -1 on odd steps.
LIONCUB_HD bool alternate_positive(uint64_t step) { return (step & 1u) == 0; }

}  // namespace lioncub
