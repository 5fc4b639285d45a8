// CPU ternary sum: exact per-element sums of nvec 2-bit codes, as counts of +1 and of -1 in two
// bit-sliced counters, and the sign of that sum re-encoded as planes.
#include "../bitslice.h"
#include "../dispatch.h"
#include "../kernels.h"
#include "isa.h"
#include "wide_word.h"

namespace lioncub::cpu::LIONCUB_CPU_ISA {
namespace {

// Counts the +1 and -1 codes at word offset w; load(plane) reads that plane's input there.
template <int K, class W, class Load>
inline void count_at(const TernaryArgs& a, Load&& load, W (&pos)[K], W (&neg)[K]) {
  count_trits<K>(
      a.nvec, [&](int v) { return load(a.signs + v * a.stride); },
      [&](int v) { return load(a.nonzeros + v * a.stride); }, pos, neg);
}

template <int K>
void reencode_impl(const TernaryArgs& a) {
  write_planes(a.numel, a.sign, a.nonzero, [&](auto load, auto& sign, auto& nonzero) {
    using W = std::remove_reference_t<decltype(sign)>;
    W pos[K], neg[K], gt, eq;
    count_at<K>(a, load, pos, neg);
    compare_counters<K>(pos, neg, gt, eq);
    resolve_ties(gt, eq, a.alternate, a.alternate_positive, sign, nonzero);
  });
}

template <int K>
void sum_impl(const TernaryArgs& a) {
  const size_t words = packed_words(a.numel);
  for (size_t w = 0; w < words; ++w) {
    uint32_t pos[K], neg[K];
    count_at<K>(a, [&](const uint32_t* p) { return p[w]; }, pos, neg);
    const size_t n = std::min<size_t>(32, a.numel - w * 32);
    for (size_t i = 0; i < n; ++i) {
      a.sums[w * 32 + i] = int16_t(int(counter_value<K>(pos, int(i))) - int(counter_value<K>(neg, int(i))));
    }
  }
}

}  // namespace

void ternary_sum(const TernaryArgs& a) {
  with_counter_depth(a.nvec, [&](auto k) { sum_impl<decltype(k)::value>(a); });
}

void ternary_reencode(const TernaryArgs& a) {
  with_counter_depth(a.nvec, [&](auto k) { reencode_impl<decltype(k)::value>(a); });
}

}  // namespace lioncub::cpu::LIONCUB_CPU_ISA
