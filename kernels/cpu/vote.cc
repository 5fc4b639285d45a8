// CPU vote: bit-sliced majority of nvec packed 1-bit vectors, 256 elements per operation.
#include "../bitslice.h"
#include "../dispatch.h"
#include "../kernels.h"
#include "isa.h"
#include "wide_word.h"

namespace lioncub::cpu::LIONCUB_CPU_ISA {
namespace {

template <int K>
void vote_impl(const VoteArgs& a) {
  write_planes(a.numel, a.sign, a.nonzero, [&](auto load, auto& sign, auto& nonzero) {
    std::remove_reference_t<decltype(sign)> cnt[K];
    count_inputs<K>(a.nvec, [&](int v) { return load(a.codes + v * a.stride); }, cnt);
    majority_planes<K>(cnt, a.nvec, a.alternate, a.alternate_positive, sign, nonzero);
  });
}

template <int K>
void vote_count_impl(const VoteArgs& a) {
  const size_t words = packed_words(a.numel);
  for (size_t w = 0; w < words; ++w) {
    uint32_t cnt[K];
    count_inputs<K>(a.nvec, [&](int v) { return a.codes[v * a.stride + w]; }, cnt);
    const size_t n = std::min<size_t>(32, a.numel - w * 32);
    for (size_t i = 0; i < n; ++i) a.counts[w * 32 + i] = uint16_t(counter_value<K>(cnt, int(i)));
  }
}

}  // namespace

void vote(const VoteArgs& a) {
  with_counter_depth(a.nvec, [&](auto k) { vote_impl<decltype(k)::value>(a); });
}

void vote_count(const VoteArgs& a) {
  with_counter_depth(a.nvec, [&](auto k) { vote_count_impl<decltype(k)::value>(a); });
}

}  // namespace lioncub::cpu::LIONCUB_CPU_ISA
