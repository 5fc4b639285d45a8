// CPU encode pass: one pass over g and m that writes m and the packed code. Whole words run
// through fixed-length loops that GCC vectorizes; a short last word takes the scalar loop.
#include <vector>

#include "../dispatch.h"
#include "../kernels.h"
#include "isa.h"
#include "bits.h"

namespace lioncub::cpu::LIONCUB_CPU_ISA {
namespace {

// c for `len` elements into c[], updating m; returns 1 if any c was non-finite.
template <class G, class M>
inline uint32_t directions(const LionCoeffs& k, const G* __restrict g, M* __restrict m, size_t len,
                           float* __restrict c) {
  uint32_t bad = 0;
  for (size_t i = 0; i < len; ++i) {
    const float mi = to_float(m[i]);
    const float gi = to_float(g[i]);
    c[i] = lion_direction(k, mi, gi);
    bad |= 1u - uint32_t(is_finite(c[i]));
    m[i] = from_float<M>(momentum_update(k, mi, gi));
  }
  return bad;
}

template <class G, class M>
bool encode_sign(const EncodeArgs& a) {
  const G* g = static_cast<const G*>(a.grad);
  M* m = static_cast<M*>(a.momentum);
  uint32_t bad = 0;
  float c[32];
  for (size_t base = 0; base < a.numel; base += 32) {
    uint32_t bits = 0;
    if (a.numel - base >= 32) {
      bad |= directions(a.k, g + base, m + base, 32, c);
      for (int i = 0; i < 32; ++i) bits |= bit_if(sign_code(c[i]), i);
    } else {
      const size_t len = a.numel - base;
      bad |= directions(a.k, g + base, m + base, len, c);
      for (size_t i = 0; i < len; ++i) bits |= bit_if(sign_code(c[i]), int(i));
    }
    a.sign[base / 32] = bits;
  }
  return bad != 0;
}

// Ternary: per block, compute c once into a scratch buffer (updating m on the way), take the
// canonical lane sums of |c| (see lion_math.h), then threshold the buffer.
template <class G, class M>
bool encode_ternary(const EncodeArgs& a) {
  const G* g = static_cast<const G*>(a.grad);
  M* m = static_cast<M*>(a.momentum);
  thread_local std::vector<float> scratch;
  scratch.resize(a.block + 32);
  float* c = scratch.data();
  uint32_t bad = 0;
  for (size_t start = 0; start < a.numel; start += a.block) {
    const size_t len = std::min<size_t>(a.block, a.numel - start);
    bad |= directions(a.k, g + start, m + start, len, c);
    const size_t padded = (len + 31) / 32 * 32;
    for (size_t j = len; j < padded; ++j) c[j] = 0.0f;  // adds 0 to a lane, codes as 0
    float lane[32] = {};
    for (size_t j = 0; j < padded; j += 32) {
      for (int l = 0; l < 32; ++l) lane[l] = fadd(lane[l], abs_or_zero(c[j + l]));
    }
    for (int h = 16; h >= 1; h /= 2) {
      for (int l = 0; l < h; ++l) lane[l] = fadd(lane[l], lane[l + h]);
    }
    const float tau = ternary_threshold(a.alpha, lane[0], uint32_t(len));
    for (size_t j = 0; j < padded; j += 32) {
      uint32_t s = 0, z = 0;
      for (int i = 0; i < 32; ++i) {
        const Trit t = ternary_code(c[j + i], tau);
        s |= bit_if(t.sign, i);
        z |= bit_if(t.nonzero, i);
      }
      a.sign[(start + j) / 32] = s;
      a.nonzero[(start + j) / 32] = z;
    }
  }
  return bad != 0;
}

}  // namespace

void encode(const EncodeArgs& a) {
  const bool bad = with_grad_type(a.grad_type, [&](auto g) {
    return with_state_type(a.momentum_type, [&](auto m) {
      using G = decltype(g);
      using M = decltype(m);
      return a.ternary ? encode_ternary<G, M>(a) : encode_sign<G, M>(a);
    });
  });
  if (bad && a.non_finite) *a.non_finite = 1;
}

}  // namespace lioncub::cpu::LIONCUB_CPU_ISA
