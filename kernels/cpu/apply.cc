// CPU apply pass: p = p*(1 - lr*wd) - lr*u, one read and one write of p.
#include "../dispatch.h"
#include "../kernels.h"
#include "isa.h"
#include "bits.h"

namespace lioncub::cpu::LIONCUB_CPU_ISA {
namespace {

template <class P>
void apply_planes(const ApplyArgs& a, P* p) {
  const uint32_t* sign = a.update.sign;
  const uint32_t* nonzero = a.update.nonzero;
  for (size_t base = 0; base < a.numel; base += 32) {
    const uint32_t s = sign[base / 32];
    const uint32_t z = nonzero ? nonzero[base / 32] : 0xffffffffu;
    P* __restrict q = p + base;
    if (a.numel - base >= 32) {
      for (int i = 0; i < 32; ++i) {
        q[i] = from_float<P>(lion_apply(a.k, to_float(q[i]), update_from_planes(bit_at(s, i), bit_at(z, i))));
      }
    } else {
      for (size_t i = 0; i < a.numel - base; ++i) {
        q[i] = from_float<P>(lion_apply(a.k, to_float(q[i]), update_from_planes(bit_at(s, int(i)), bit_at(z, int(i)))));
      }
    }
  }
}

template <class P>
void apply_counts(const ApplyArgs& a, P* p) {
  for (size_t i = 0; i < a.numel; ++i) {
    const float u = update_from_count(a.update.counts[i], a.update.nvec);
    p[i] = from_float<P>(lion_apply(a.k, to_float(p[i]), u));
  }
}

template <class P>
void apply_sums(const ApplyArgs& a, P* p) {
  for (size_t i = 0; i < a.numel; ++i) {
    const float u = update_from_sum(a.update.sums[i], a.update.nvec);
    p[i] = from_float<P>(lion_apply(a.k, to_float(p[i]), u));
  }
}

}  // namespace

void apply(const ApplyArgs& a) {
  with_state_type(a.param_type, [&](auto tag) {
    using P = decltype(tag);
    P* p = static_cast<P*>(a.params);
    switch (a.update.kind) {
      case lioncubUpdateCounts: apply_counts(a, p); break;
      case lioncubUpdateSums: apply_sums(a, p); break;
      default: apply_planes(a, p); break;
    }
  });
}

}  // namespace lioncub::cpu::LIONCUB_CPU_ISA
