// CPU encode pass: one pass over g and m that writes m and the packed code.
#include <algorithm>
#include <vector>

#include "../dispatch.h"
#include "../kernels.h"

namespace lioncub::cpu {
namespace {

// One word of the sign code: up to 32 elements starting at `base`.
// Returns whether any c was non-finite.
template <class G, class M>
inline bool encode_sign_word(const LionCoeffs& k, const G* g, M* m, size_t len, uint32_t* word) {
  uint32_t bits = 0;
  uint32_t bad = 0;
  for (size_t i = 0; i < len; ++i) {
    const float mi = to_float(m[i]);
    const float gi = to_float(g[i]);
    const float c = lion_direction(k, mi, gi);
    bits |= sign_code(c) << i;
    bad |= is_finite(c) ? 0u : 1u;
    m[i] = from_float<M>(momentum_update(k, mi, gi));
  }
  *word = bits;
  return bad != 0;
}

template <class G, class M>
bool encode_sign(const EncodeArgs& a) {
  const G* g = static_cast<const G*>(a.grad);
  M* m = static_cast<M*>(a.momentum);
  const size_t full = a.numel / 32;
  bool bad = false;
  for (size_t w = 0; w < full; ++w) {
    bad |= encode_sign_word(a.k, g + w * 32, m + w * 32, 32, a.sign + w);
  }
  if (a.numel % 32) {
    bad |= encode_sign_word(a.k, g + full * 32, m + full * 32, a.numel % 32, a.sign + full);
  }
  return bad;
}

// Ternary: per block, compute c once into a scratch buffer (updating m on the way) while
// accumulating the canonical lane sums of |c|, then threshold the buffer.
template <class G, class M>
bool encode_ternary(const EncodeArgs& a) {
  const G* g = static_cast<const G*>(a.grad);
  M* m = static_cast<M*>(a.momentum);
  thread_local std::vector<float> scratch;
  scratch.resize(a.block);
  float* c = scratch.data();
  bool bad = false;
  for (size_t start = 0; start < a.numel; start += a.block) {
    const size_t len = std::min<size_t>(a.block, a.numel - start);
    float lane[32] = {};
    uint32_t nonfinite = 0;
    for (size_t j = 0; j < len; ++j) {
      const float mj = to_float(m[start + j]);
      const float gj = to_float(g[start + j]);
      c[j] = lion_direction(a.k, mj, gj);
      nonfinite |= is_finite(c[j]) ? 0u : 1u;
      m[start + j] = from_float<M>(momentum_update(a.k, mj, gj));
    }
    // Lane l accumulates elements l, l+32, ... in ascending order (the warp's order).
    const size_t whole = len / 32 * 32;
    for (size_t j = 0; j < whole; j += 32) {
      for (int l = 0; l < 32; ++l) lane[l] = fadd(lane[l], abs_or_zero(c[j + l]));
    }
    for (size_t j = whole; j < len; ++j) lane[j - whole] = fadd(lane[j - whole], abs_or_zero(c[j]));
    for (int h = 16; h >= 1; h /= 2) {
      for (int l = 0; l < h; ++l) lane[l] = fadd(lane[l], lane[l + h]);
    }
    const float tau = ternary_threshold(a.alpha, lane[0], uint32_t(len));
    for (size_t j0 = 0; j0 < len; j0 += 32) {
      uint32_t s = 0, z = 0;
      const size_t n = std::min<size_t>(32, len - j0);
      for (size_t i = 0; i < n; ++i) {
        const Trit t = ternary_code(c[j0 + i], tau);
        s |= t.sign << i;
        z |= t.nonzero << i;
      }
      a.sign[(start + j0) / 32] = s;
      a.nonzero[(start + j0) / 32] = z;
    }
    bad |= nonfinite != 0;
  }
  return bad;
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

}  // namespace lioncub::cpu
