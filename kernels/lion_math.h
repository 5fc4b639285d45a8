// Lion's element math, written once for the CPU and CUDA kernels (see docs/kernels.md).
//
//   c = beta1*m + (1-beta1)*g            update direction, encoded and exchanged
//   m = beta2*m + (1-beta2)*g            local momentum, with the local gradient
//   p = p*(1 - lr*wd) - lr*u             u = aggregated update
#pragma once

#include "hd.h"

namespace lioncub {

struct LionCoeffs {
  float beta1, one_minus_beta1, beta2, one_minus_beta2;
};

LIONCUB_HD LionCoeffs make_lion_coeffs(float beta1, float beta2) {
  return LionCoeffs{beta1, fsub(1.0f, beta1), beta2, fsub(1.0f, beta2)};
}

LIONCUB_HD float lion_direction(const LionCoeffs& k, float m, float g) {
  return fadd(fmul(k.beta1, m), fmul(k.one_minus_beta1, g));
}

// A non-finite result keeps the old momentum: one bad gradient must not poison the state that
// later steps read. The encode pass raises the non-finite flag for that element anyway.
LIONCUB_HD float momentum_update(const LionCoeffs& k, float m, float g) {
  const float r = fadd(fmul(k.beta2, m), fmul(k.one_minus_beta2, g));
  return is_finite(r) ? r : m;
}

// 1-bit code: 1 when c > 0. Zero, negative and non-finite c give 0.
// Branch-free (& rather than &&) so that the CPU loops vectorize.
LIONCUB_HD uint32_t sign_code(float c) { return uint32_t(is_finite(c) & (c > 0.0f)); }

// 2-bit code against a threshold tau >= 0: nonzero when |c| > tau, sign when c > tau.
// Non-finite c abstains (0).
struct Trit {
  uint32_t sign, nonzero;
};
LIONCUB_HD Trit ternary_code(float c, float tau) {
  const bool live = is_finite(c);
  return Trit{uint32_t(live & (c > tau)), uint32_t(live & ((c > tau) | (c < -tau)))};
}

// The ternary block sum of |c| has one canonical order that both paths follow: lane l of 32
// (element j*32 + l of the block) accumulates its elements in ascending j, then the 32 lane sums
// are combined by halving, lane[l] += lane[l + h] for h = 16, 8, 4, 2, 1 (the order of a
// warp's xor-shuffle reduction). Non-finite |c| adds 0.
LIONCUB_HD float abs_or_zero(float c) { return is_finite(c) ? fabs_exact(c) : 0.0f; }

LIONCUB_HD float ternary_threshold(float alpha, float block_abs_sum, uint32_t block_count) {
  if (alpha == 0.0f) return 0.0f;  // exact sign even if the block sum overflowed
  return fmul(alpha, fdiv(block_abs_sum, float(block_count)));
}

struct ApplyCoeffs {
  float lr, decay;
};
LIONCUB_HD ApplyCoeffs make_apply_coeffs(float lr, float weight_decay) {
  return ApplyCoeffs{lr, fsub(1.0f, fmul(lr, weight_decay))};
}

LIONCUB_HD float lion_apply(const ApplyCoeffs& k, float p, float u) {
  return fsub(fmul(p, k.decay), fmul(k.lr, u));
}

// u from the aggregated forms.
// sign and nonzero are single bits (0 or 1).
LIONCUB_HD float update_from_planes(uint32_t sign, uint32_t nonzero) {
  return float(int(sign & nonzero) - int(~sign & nonzero & 1u));
}
LIONCUB_HD float update_from_count(uint32_t count, int nvec) {
  return fdiv(float(2 * int(count) - nvec), float(nvec));
}
LIONCUB_HD float update_from_sum(int sum, int nvec) { return fdiv(float(sum), float(nvec)); }

}  // namespace lioncub
