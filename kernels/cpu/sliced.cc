#include "kernels/sliced.h"

#include "kernels/bitslice.h"
#include "kernels/dispatch.h"

namespace lioncub {
namespace {

template <int K>
void count_impl(const uint32_t* codes, size_t stride, int nvec, size_t words, int bits,
                uint32_t* planes) {
  for (size_t w = 0; w < words; ++w) {
    uint32_t cnt[K];
    count_inputs<K>(nvec, [&](int v) { return codes[static_cast<size_t>(v) * stride + w]; }, cnt);
    for (int k = 0; k < bits; ++k) planes[static_cast<size_t>(k) * words + w] = k < K ? cnt[k] : 0u;
  }
}

template <int K>
void majority_impl(const uint32_t* in, size_t in_stride, int ninputs, int bits, size_t words,
                   size_t numel, int total, bool alternate, bool alternate_positive,
                   uint32_t* sign, uint32_t* nonzero) {
  for (size_t w = 0; w < words; ++w) {
    uint32_t cnt[K] = {};
    for (int i = 0; i < ninputs; ++i) {
      const uint32_t* c = in + static_cast<size_t>(i) * in_stride;
      for (int k = 0; k < bits; ++k) counter_add<K>(cnt, c[static_cast<size_t>(k) * words + w], k);
    }
    uint32_t s, nz;
    majority_planes<K>(cnt, total, alternate, alternate_positive, s, nz);
    const uint32_t valid = valid_bits(w, numel);
    sign[w] = s & valid;
    if (nonzero != nullptr) nonzero[w] = nz & valid;
  }
}

}  // namespace

void sliced_count(const uint32_t* codes, size_t stride, int nvec, size_t words, int bits,
                  uint32_t* planes) {
  with_counter_depth(nvec, [&](auto k) {
    count_impl<decltype(k)::value>(codes, stride, nvec, words, bits, planes);
  });
}

void sliced_majority(const uint32_t* in, size_t in_stride, int ninputs, int bits, size_t words,
                     size_t numel, int total, bool alternate, bool alternate_positive,
                     uint32_t* sign, uint32_t* nonzero) {
  // The sum of the inputs never exceeds `total`, so a counter deep enough for total suffices
  // (counter_add drops carries beyond K, which cannot occur).
  with_counter_depth(total, [&](auto k) {
    majority_impl<decltype(k)::value>(in, in_stride, ninputs, bits, words, numel, total, alternate,
                                      alternate_positive, sign, nonzero);
  });
}

}  // namespace lioncub
