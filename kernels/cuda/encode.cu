// CUDA encode pass. A warp owns whole words: lane l handles element 32*w + l, so the warp's
// __ballot_sync of the lanes' bits is word w of the packed code, as the layout defines it.
#include "../dispatch.h"
#include "../kernels.h"
#include "launch.h"

namespace lioncub::cuda {
namespace {

template <class G, class M>
__global__ void __launch_bounds__(kThreads)
    encode_sign_kernel(LionCoeffs k, const G* __restrict__ g, M* __restrict__ m, size_t numel,
                       uint32_t* __restrict__ sign, int* non_finite) {
  const unsigned lane = threadIdx.x % 32;
  const size_t warps = size_t(gridDim.x) * blockDim.x / 32;
  const size_t words = (numel + 31) / 32;
  bool bad = false;
  for (size_t w = (size_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32; w < words; w += warps) {
    const size_t i = w * 32 + lane;
    uint32_t bit = 0;
    if (i < numel) {
      const float mi = to_float(m[i]);
      const float gi = to_float(g[i]);
      const float c = lion_direction(k, mi, gi);
      bit = sign_code(c);
      bad |= !is_finite(c);
      m[i] = from_float<M>(momentum_update(k, mi, gi));
    }
    const uint32_t word = __ballot_sync(kFullMask, bit);
    if (lane == 0) sign[w] = word;
  }
  if (bad && non_finite) *non_finite = 1;  // every writer stores the same value: no atomic needed
}

// A warp owns one ternary block at a time. First pass: the canonical lane sums of |c| (see
// lion_math.h) and the threshold; second pass: c again (the block is hot in L1/L2, so DRAM sees
// one read), the code, and the momentum write.
template <class G, class M>
__global__ void __launch_bounds__(kThreads)
    encode_ternary_kernel(LionCoeffs k, const G* __restrict__ g, M* __restrict__ m, size_t numel,
                          uint32_t block, float alpha, uint32_t* __restrict__ sign,
                          uint32_t* __restrict__ nonzero, int* non_finite) {
  const unsigned lane = threadIdx.x % 32;
  const size_t warps = size_t(gridDim.x) * blockDim.x / 32;
  const size_t blocks = (numel + block - 1) / block;
  bool bad = false;
  for (size_t b = (size_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32; b < blocks; b += warps) {
    const size_t start = b * block;
    const uint32_t len = uint32_t(min(size_t(block), numel - start));
    float acc = 0.0f;
    for (uint32_t j = lane; j < len; j += 32) {
      acc = fadd(acc, abs_or_zero(lion_direction(k, to_float(m[start + j]), to_float(g[start + j]))));
    }
    for (int h = 16; h >= 1; h /= 2) acc = fadd(acc, __shfl_xor_sync(kFullMask, acc, h));
    const float tau = ternary_threshold(alpha, acc, len);
    for (uint32_t j0 = 0; j0 < len; j0 += 32) {
      const uint32_t j = j0 + lane;
      Trit t{0, 0};
      if (j < len) {
        const float mj = to_float(m[start + j]);
        const float gj = to_float(g[start + j]);
        const float c = lion_direction(k, mj, gj);
        t = ternary_code(c, tau);
        bad |= !is_finite(c);
        m[start + j] = from_float<M>(momentum_update(k, mj, gj));
      }
      const uint32_t s = __ballot_sync(kFullMask, t.sign);
      const uint32_t z = __ballot_sync(kFullMask, t.nonzero);
      if (lane == 0) {
        sign[(start + j0) / 32] = s;
        nonzero[(start + j0) / 32] = z;
      }
    }
  }
  if (bad && non_finite) *non_finite = 1;
}

}  // namespace

lioncubResult_t encode(const EncodeArgs& a, cudaStream_t stream) {
  return with_grad_type(a.grad_type, [&](auto gt) {
    return with_state_type(a.momentum_type, [&](auto mt) {
      using G = decltype(gt);
      using M = decltype(mt);
      const G* g = static_cast<const G*>(a.grad);
      M* m = static_cast<M*>(a.momentum);
      if (a.ternary) {
        const size_t blocks = (a.numel + a.block - 1) / a.block;
        encode_ternary_kernel<G, M><<<grid_for(blocks, kThreads / 32), kThreads, 0, stream>>>(
            a.k, g, m, a.numel, a.block, a.alpha, a.sign, a.nonzero, a.non_finite);
        return launch_result("lioncub encode (ternary)");
      }
      const size_t words = (a.numel + 31) / 32;
      encode_sign_kernel<G, M><<<grid_for(words, kThreads / 32), kThreads, 0, stream>>>(
          a.k, g, m, a.numel, a.sign, a.non_finite);
      return launch_result("lioncub encode (sign)");
    });
  });
}

}  // namespace lioncub::cuda
