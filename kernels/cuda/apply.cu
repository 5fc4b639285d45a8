// CUDA apply pass: each thread updates 8 consecutive parameters per step with 16-byte vector loads
// and stores (of p, and of the counts or sums); a plane update's 8 bits are one byte of a code
// word, which the 4 lanes sharing that word read as one broadcast load. Element order and math are
// the CPU pass's (lion_math.h), so the results are bit-identical.
#include "../dispatch.h"
#include "../kernels.h"
#include "launch.h"
#include "vec.h"

namespace lioncub::cuda {
namespace {

// The 8 update values of elements [i0, i0 + 8) (i0 a multiple of 8); entries past numel unused.
template <int kKind>
__device__ __forceinline__ void updates(const lioncubUpdate_t& u, size_t i0, size_t numel,
                                        bool vec, float (&v)[kVec]) {
  if constexpr (kKind == lioncubUpdatePlanes) {
    const unsigned shift = unsigned(i0 % 32);
    const uint32_t s = __ldg(u.sign + i0 / 32) >> shift;
    const uint32_t z = u.nonzero ? __ldg(u.nonzero + i0 / 32) >> shift : 0xffu;
#pragma unroll
    for (int e = 0; e < kVec; ++e) v[e] = update_from_planes((s >> e) & 1u, (z >> e) & 1u);
  } else if constexpr (kKind == lioncubUpdateCounts) {
    if (vec && i0 + kVec <= numel) {
      uint16_t c[kVec];
      load8_ro(u.counts + i0, c);
#pragma unroll
      for (int e = 0; e < kVec; ++e) v[e] = update_from_count(c[e], u.nvec);
    } else {
      for (int e = 0; e < kVec && i0 + e < numel; ++e) v[e] = update_from_count(u.counts[i0 + e], u.nvec);
    }
  } else {
    if (vec && i0 + kVec <= numel) {
      int16_t c[kVec];
      load8_ro(u.sums + i0, c);
#pragma unroll
      for (int e = 0; e < kVec; ++e) v[e] = update_from_sum(c[e], u.nvec);
    } else {
      for (int e = 0; e < kVec && i0 + e < numel; ++e) v[e] = update_from_sum(u.sums[i0 + e], u.nvec);
    }
  }
}

template <class P, int kKind>
__global__ void __launch_bounds__(kThreads) apply_kernel(ApplyArgs a, bool vec) {
  P* p = static_cast<P*>(a.params);
  const size_t groups = (a.numel + kVec - 1) / kVec;
  for (size_t gi = thread_index(); gi < groups; gi += thread_count()) {
    const size_t i0 = gi * kVec;
    float v[kVec] = {};
    updates<kKind>(a.update, i0, a.numel, vec, v);
    if (vec && i0 + kVec <= a.numel) {
      P pv[kVec];
      load8(p + i0, pv);
#pragma unroll
      for (int e = 0; e < kVec; ++e) pv[e] = from_float<P>(lion_apply(a.k, to_float(pv[e]), v[e]));
      store8(p + i0, pv);
    } else {
      for (int e = 0; e < kVec && i0 + e < a.numel; ++e) {
        p[i0 + e] = from_float<P>(lion_apply(a.k, to_float(p[i0 + e]), v[e]));
      }
    }
  }
}

template <class P, int kKind>
lioncubResult_t launch(const ApplyArgs& a, bool vec, cudaStream_t stream) {
  const auto kernel = apply_kernel<P, kKind>;
  kernel<<<grid_for(kernel, (a.numel + kVec - 1) / kVec), kThreads, 0, stream>>>(a, vec);
  return launch_result("lioncub apply");
}

}  // namespace

lioncubResult_t apply(const ApplyArgs& a, cudaStream_t stream) {
  return with_state_type(a.param_type, [&](auto tag) {
    using P = decltype(tag);
    bool vec = aligned16(a.params);
    switch (a.update.kind) {
      case lioncubUpdateCounts:
        return launch<P, lioncubUpdateCounts>(a, vec && aligned16(a.update.counts), stream);
      case lioncubUpdateSums:
        return launch<P, lioncubUpdateSums>(a, vec && aligned16(a.update.sums), stream);
      default: return launch<P, lioncubUpdatePlanes>(a, vec, stream);
    }
  });
}

}  // namespace lioncub::cuda
