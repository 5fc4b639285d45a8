// CUDA apply pass: a thread per element; the 32 lanes of a warp read the same code word, which
// the hardware broadcasts.
#include "../dispatch.h"
#include "../kernels.h"
#include "launch.h"

namespace lioncub::cuda {
namespace {

template <class P>
__global__ void __launch_bounds__(kThreads) apply_kernel(ApplyArgs a) {
  P* p = static_cast<P*>(a.params);
  const lioncubUpdate_t& u = a.update;
  const size_t stride = size_t(gridDim.x) * blockDim.x;
  for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < a.numel; i += stride) {
    float v;
    if (u.kind == lioncubUpdateCounts) {
      v = update_from_count(u.counts[i], u.nvec);
    } else if (u.kind == lioncubUpdateSums) {
      v = update_from_sum(u.sums[i], u.nvec);
    } else {
      const unsigned bit = unsigned(i % 32);
      const uint32_t z = u.nonzero ? __ldg(u.nonzero + i / 32) : 0xffffffffu;
      v = update_from_planes((__ldg(u.sign + i / 32) >> bit) & 1u, (z >> bit) & 1u);
    }
    p[i] = from_float<P>(lion_apply(a.k, to_float(p[i]), v));
  }
}

}  // namespace

lioncubResult_t apply(const ApplyArgs& a, cudaStream_t stream) {
  with_state_type(a.param_type, [&](auto tag) {
    apply_kernel<decltype(tag)><<<grid_for(a.numel), kThreads, 0, stream>>>(a);
  });
  return launch_result("lioncub apply");
}

}  // namespace lioncub::cuda
