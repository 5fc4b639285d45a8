// CUDA encode pass (layout and math: docs/kernels.md, lion_math.h).
//
// Sign code and ternary code with alpha = 0 (tau = 0 exactly, no block sum): a warp takes 256
// consecutive elements at a time, each lane 8 of them with 16-byte vector loads and stores of g and
// m. A lane's 8 bits are one byte of a code word: the byte goes to its place (lane % 4) and an
// xor-shuffle OR over groups of 4 lanes assembles the word, which lane 4k stores. Element i still
// lands in bit i % 32 of word i / 32.
//
// Ternary code with alpha > 0: one thread block per ternary block. All warps compute c (and write
// m) for the block into shared memory; warp 0 then takes the canonical lane sums (lane l adds
// elements l, l+32, ... in ascending order, then the xor-shuffle halving), exactly as the CPU pass;
// all warps threshold the staged c and write the code words with __ballot_sync. DRAM sees g and m
// once; the block's c never leaves the multiprocessor.
#include "../dispatch.h"
#include "../kernels.h"
#include "launch.h"
#include "vec.h"

namespace lioncub::cuda {
namespace {

// The element step shared by every encode kernel: c, the momentum update, the non-finite flag.
template <class G, class M>
__device__ __forceinline__ float encode_element(const LionCoeffs& k, G g, M& m, bool& bad) {
  const float mi = to_float(m);
  const float gi = to_float(g);
  const float c = lion_direction(k, mi, gi);
  bad |= !is_finite(c);
  m = from_float<M>(momentum_update(k, mi, gi));
  return c;
}

// Word (lane / 4) of the warp's 8 words from every lane's byte; valid in lanes 4k.
__device__ __forceinline__ uint32_t assemble_word(uint32_t byte) {
  uint32_t v = byte << (8 * (threadIdx.x % 4));
  v |= __shfl_xor_sync(kFullMask, v, 1);
  v |= __shfl_xor_sync(kFullMask, v, 2);
  return v;
}

// kZeroTau: the ternary code with tau = 0 (alpha = 0), which also writes the nonzero plane.
template <class G, class M, bool kZeroTau>
__global__ void __launch_bounds__(kThreads)
    encode_word_kernel(LionCoeffs k, const G* __restrict__ g, M* __restrict__ m, size_t numel,
                       bool vec, uint32_t* __restrict__ sign, uint32_t* __restrict__ nonzero,
                       int* non_finite) {
  const unsigned lane = threadIdx.x % 32;
  const size_t warps = thread_count() / 32;
  const size_t chunks = (numel + 32 * kVec - 1) / (32 * kVec);  // 256 elements, 8 words
  const size_t words = (numel + 31) / 32;
  bool bad = false;
  for (size_t ch = thread_index() / 32; ch < chunks; ch += warps) {
    const size_t i0 = ch * 32 * kVec + size_t(lane) * kVec;
    uint32_t s = 0, z = 0;
    if (vec && i0 + kVec <= numel) {
      G gv[kVec];
      M mv[kVec];
      load8_ro(g + i0, gv);
      load8(m + i0, mv);
#pragma unroll
      for (int e = 0; e < kVec; ++e) {
        const float c = encode_element(k, gv[e], mv[e], bad);
        if constexpr (kZeroTau) {
          const Trit t = ternary_code(c, 0.0f);
          s |= t.sign << e;
          z |= t.nonzero << e;
        } else {
          s |= sign_code(c) << e;
        }
      }
      store8(m + i0, mv);
    } else {
      for (int e = 0; e < kVec; ++e) {
        if (i0 + e >= numel) break;
        M mi = m[i0 + e];
        const float c = encode_element(k, g[i0 + e], mi, bad);
        m[i0 + e] = mi;
        if constexpr (kZeroTau) {
          const Trit t = ternary_code(c, 0.0f);
          s |= t.sign << e;
          z |= t.nonzero << e;
        } else {
          s |= sign_code(c) << e;
        }
      }
    }
    const uint32_t sw = assemble_word(s);
    [[maybe_unused]] const uint32_t zw = kZeroTau ? assemble_word(z) : 0u;
    const size_t w = ch * kVec + lane / 4;
    if (lane % 4 == 0 && w < words) {
      sign[w] = sw;
      if constexpr (kZeroTau) nonzero[w] = zw;
    }
  }
  if (bad && non_finite) *non_finite = 1;  // every writer stores the same value: no atomic needed
}

// One thread block per ternary block of `block` elements; dynamic shared memory: block floats
// of c, plus tau.
template <class G, class M>
__global__ void __launch_bounds__(kThreads)
    encode_ternary_kernel(LionCoeffs k, const G* __restrict__ g, M* __restrict__ m, size_t numel,
                          uint32_t block, float alpha, uint32_t* __restrict__ sign,
                          uint32_t* __restrict__ nonzero, int* non_finite) {
  extern __shared__ float staged[];
  __shared__ float tau_shared;
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32, nwarps = blockDim.x / 32;
  const size_t blocks = (numel + block - 1) / block;
  bool bad = false;
  for (size_t b = blockIdx.x; b < blocks; b += gridDim.x) {
    const size_t start = b * block;
    const uint32_t len = uint32_t(min(size_t(block), numel - start));
    const uint32_t padded = (len + 31) / 32 * 32;
    for (uint32_t j = threadIdx.x; j < padded; j += blockDim.x) {
      float c = 0.0f;  // beyond len: adds 0 to its lane and codes as 0, as on the CPU
      if (j < len) {
        M mj = m[start + j];
        c = encode_element(k, g[start + j], mj, bad);
        m[start + j] = mj;
      }
      staged[j] = c;
    }
    __syncthreads();
    if (warp == 0) {
      float acc = 0.0f;
      for (uint32_t j = lane; j < padded; j += 32) acc = fadd(acc, abs_or_zero(staged[j]));
      for (int h = 16; h >= 1; h /= 2) acc = fadd(acc, __shfl_xor_sync(kFullMask, acc, h));
      if (lane == 0) tau_shared = ternary_threshold(alpha, acc, len);
    }
    __syncthreads();
    const float tau = tau_shared;
    for (uint32_t j0 = warp * 32; j0 < padded; j0 += nwarps * 32) {
      const Trit t = ternary_code(staged[j0 + lane], tau);
      const uint32_t s = __ballot_sync(kFullMask, t.sign);
      const uint32_t z = __ballot_sync(kFullMask, t.nonzero);
      if (lane == 0) {
        sign[(start + j0) / 32] = s;
        nonzero[(start + j0) / 32] = z;
      }
    }
    __syncthreads();  // staged[] and tau_shared are reused by the next block
  }
  if (bad && non_finite) *non_finite = 1;
}

// Above 48 KiB of dynamic shared memory a kernel must opt in (once per instance).
template <class Kernel>
cudaError_t allow_shared(Kernel kernel, size_t bytes) {
  if (bytes <= 48 * 1024) return cudaSuccess;
  return cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, int(bytes));
}

}  // namespace

lioncubResult_t encode(const EncodeArgs& a, cudaStream_t stream) {
  return with_grad_type(a.grad_type, [&](auto gt) {
    return with_state_type(a.momentum_type, [&](auto mt) {
      using G = decltype(gt);
      using M = decltype(mt);
      const G* g = static_cast<const G*>(a.grad);
      M* m = static_cast<M*>(a.momentum);
      const size_t chunks = (a.numel + 32 * kVec - 1) / (32 * kVec);
      const bool vec = aligned16(g) && aligned16(m);
      if (a.ternary && a.alpha > 0.0f) {
        const auto kernel = encode_ternary_kernel<G, M>;
        const size_t smem = size_t(a.block) * sizeof(float);
        if (allow_shared(kernel, smem) != cudaSuccess) return launch_result("lioncub encode (ternary)");
        const size_t blocks = (a.numel + a.block - 1) / a.block;
        // A ternary block of fewer than kThreads elements gets as many threads (whole warps).
        const int threads = int(std::min<uint32_t>(kThreads, a.block));
        kernel<<<grid_for(kernel, blocks, 1, smem, threads), threads, smem, stream>>>(
            a.k, g, m, a.numel, a.block, a.alpha, a.sign, a.nonzero, a.non_finite);
        return launch_result("lioncub encode (ternary)");
      }
      if (a.ternary) {
        const auto kernel = encode_word_kernel<G, M, true>;
        kernel<<<grid_for(kernel, chunks, kThreads / 32), kThreads, 0, stream>>>(
            a.k, g, m, a.numel, vec, a.sign, a.nonzero, a.non_finite);
        return launch_result("lioncub encode (ternary, alpha 0)");
      }
      const auto kernel = encode_word_kernel<G, M, false>;
      kernel<<<grid_for(kernel, chunks, kThreads / 32), kThreads, 0, stream>>>(
          a.k, g, m, a.numel, vec, a.sign, nullptr, a.non_finite);
      return launch_result("lioncub encode (sign)");
    });
  });
}

}  // namespace lioncub::cuda
