// CPU packed-sum lanes: a code spread into w-bit lanes, and summed lanes resolved into planes,
// one plane word (32 elements, w lane words) at a time with lanes.h's word math.
#include "../dispatch.h"
#include "../kernels.h"
#include "../lanes.h"
#include "isa.h"

namespace lioncub::cpu::LIONCUB_CPU_ISA {
namespace {

template <int w>
void pack_impl(const LaneArgs& a) {
  const size_t words = packed_words(a.numel);
  for (size_t j = 0; j < words; ++j) {
    pack_lanes_word<w>(a.sign[j], a.ternary ? a.nonzero[j] : 0u, a.ternary, valid_bits(j, a.numel),
                       a.lanes + j * w);
  }
}

template <int w>
void resolve_impl(const LaneArgs& a) {
  const size_t words = packed_words(a.numel);
  for (size_t j = 0; j < words; ++j) {
    uint32_t sign, nonzero;
    resolve_lanes_word<w>(a.lanes + j * w, a.nvec, a.ternary, a.alternate, a.alternate_positive,
                          sign, nonzero);
    const uint32_t valid = valid_bits(j, a.numel);
    a.sign_out[j] = sign & valid;
    if (a.nonzero_out) a.nonzero_out[j] = nonzero & valid;
  }
}

}  // namespace

void lane_pack(const LaneArgs& a) {
  with_lane_width(a.width, [&](auto w) { pack_impl<decltype(w)::value>(a); });
}

void lane_resolve(const LaneArgs& a) {
  with_lane_width(a.width, [&](auto w) { resolve_impl<decltype(w)::value>(a); });
}

}  // namespace lioncub::cpu::LIONCUB_CPU_ISA
