// CUDA packed-sum lanes: one thread per plane word (32 elements), which reads its plane words and
// writes its w lane words (or the reverse), with lanes.h's word math in registers. Lane words are
// moved as 8- or 16-byte vectors (w words at a w*4-byte aligned offset).
#include <type_traits>

#include "../dispatch.h"
#include "../kernels.h"
#include "../lanes.h"
#include "launch.h"

namespace lioncub::cuda {
namespace {

__device__ size_t thread_index() { return size_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ size_t thread_count() { return size_t(gridDim.x) * blockDim.x; }

template <int w>
__device__ void store_lanes(uint32_t* p, const uint32_t (&v)[w]) {
  if constexpr (w == 2) {
    *reinterpret_cast<uint2*>(p) = make_uint2(v[0], v[1]);
  } else {
#pragma unroll
    for (int q = 0; q < w; q += 4) {
      *reinterpret_cast<uint4*>(p + q) = make_uint4(v[q], v[q + 1], v[q + 2], v[q + 3]);
    }
  }
}

template <int w>
__device__ void load_lanes(const uint32_t* p, uint32_t (&v)[w]) {
  if constexpr (w == 2) {
    const uint2 x = __ldg(reinterpret_cast<const uint2*>(p));
    v[0] = x.x;
    v[1] = x.y;
  } else {
#pragma unroll
    for (int q = 0; q < w; q += 4) {
      const uint4 x = __ldg(reinterpret_cast<const uint4*>(p + q));
      v[q] = x.x;
      v[q + 1] = x.y;
      v[q + 2] = x.z;
      v[q + 3] = x.w;
    }
  }
}

template <int w>
__global__ void __launch_bounds__(kThreads) lane_pack_kernel(LaneArgs a) {
  const size_t words = (a.numel + 31) / 32;
  for (size_t j = thread_index(); j < words; j += thread_count()) {
    uint32_t out[w];
    pack_lanes_word<w>(__ldg(a.sign + j), a.ternary ? __ldg(a.nonzero + j) : 0u, a.ternary,
                       valid_bits(j, a.numel), out);
    store_lanes<w>(a.lanes + j * w, out);
  }
}

template <int w>
__global__ void __launch_bounds__(kThreads) lane_resolve_kernel(LaneArgs a) {
  const size_t words = (a.numel + 31) / 32;
  for (size_t j = thread_index(); j < words; j += thread_count()) {
    uint32_t in[w], sign, nonzero;
    load_lanes<w>(a.lanes + j * w, in);
    resolve_lanes_word<w>(in, a.nvec, a.ternary, a.alternate, a.alternate_positive, sign, nonzero);
    const uint32_t valid = valid_bits(j, a.numel);
    a.sign_out[j] = sign & valid;
    if (a.nonzero_out) a.nonzero_out[j] = nonzero & valid;
  }
}

}  // namespace

lioncubResult_t lane_pack(const LaneArgs& a, cudaStream_t stream) {
  const size_t words = (a.numel + 31) / 32;
  with_lane_width(a.width, [&](auto w) {
    const auto kernel = lane_pack_kernel<decltype(w)::value>;
    kernel<<<grid_for(kernel, words), kThreads, 0, stream>>>(a);
  });
  return launch_result("lioncub lane pack");
}

lioncubResult_t lane_resolve(const LaneArgs& a, cudaStream_t stream) {
  const size_t words = (a.numel + 31) / 32;
  with_lane_width(a.width, [&](auto w) {
    const auto kernel = lane_resolve_kernel<decltype(w)::value>;
    kernel<<<grid_for(kernel, words), kThreads, 0, stream>>>(a);
  });
  return launch_result("lioncub lane resolve");
}

}  // namespace lioncub::cuda
