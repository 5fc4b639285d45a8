// CUDA vote and ternary sum. The majority and the re-encoding give each thread one word (32
// elements) across all vectors: loads coalesce across threads, counters live in registers. The
// per-element outputs (counts, sums) give each warp one word: every lane builds the same counter
// from broadcast loads and writes its own element, so the writes coalesce.
#include "../bitslice.h"
#include "../dispatch.h"
#include "../kernels.h"
#include "launch.h"

namespace lioncub::cuda {
namespace {

__device__ size_t thread_index() { return size_t(blockIdx.x) * blockDim.x + threadIdx.x; }
__device__ size_t thread_count() { return size_t(gridDim.x) * blockDim.x; }

template <int K>
__global__ void __launch_bounds__(kThreads) vote_kernel(VoteArgs a) {
  const size_t words = (a.numel + 31) / 32;
  for (size_t w = thread_index(); w < words; w += thread_count()) {
    uint32_t cnt[K], sign, nonzero;
    count_inputs<K>(a.nvec, [&](int v) { return __ldg(a.codes + v * a.stride + w); }, cnt);
    majority_planes<K>(cnt, a.nvec, a.alternate, a.alternate_positive, sign, nonzero);
    const uint32_t valid = valid_bits(w, a.numel);
    a.sign[w] = sign & valid;
    if (a.nonzero) a.nonzero[w] = nonzero & valid;
  }
}

template <int K>
__global__ void __launch_bounds__(kThreads) vote_count_kernel(VoteArgs a) {
  const unsigned lane = threadIdx.x % 32;
  const size_t words = (a.numel + 31) / 32;
  for (size_t w = thread_index() / 32; w < words; w += thread_count() / 32) {
    uint32_t cnt[K];
    count_inputs<K>(a.nvec, [&](int v) { return __ldg(a.codes + v * a.stride + w); }, cnt);
    const size_t i = w * 32 + lane;
    if (i < a.numel) a.counts[i] = uint16_t(counter_value<K>(cnt, int(lane)));
  }
}

template <int K>
__device__ void count_word(const TernaryArgs& a, size_t w, uint32_t (&pos)[K], uint32_t (&neg)[K]) {
  count_trits<K>(
      a.nvec, [&](int v) { return __ldg(a.signs + v * a.stride + w); },
      [&](int v) { return __ldg(a.nonzeros + v * a.stride + w); }, pos, neg);
}

template <int K>
__global__ void __launch_bounds__(kThreads) ternary_reencode_kernel(TernaryArgs a) {
  const size_t words = (a.numel + 31) / 32;
  for (size_t w = thread_index(); w < words; w += thread_count()) {
    uint32_t pos[K], neg[K], gt, eq, sign, nonzero;
    count_word<K>(a, w, pos, neg);
    compare_counters<K>(pos, neg, gt, eq);
    resolve_ties(gt, eq, a.alternate, a.alternate_positive, sign, nonzero);
    const uint32_t valid = valid_bits(w, a.numel);
    a.sign[w] = sign & valid;
    if (a.nonzero) a.nonzero[w] = nonzero & valid;
  }
}

template <int K>
__global__ void __launch_bounds__(kThreads) ternary_sum_kernel(TernaryArgs a) {
  const unsigned lane = threadIdx.x % 32;
  const size_t words = (a.numel + 31) / 32;
  for (size_t w = thread_index() / 32; w < words; w += thread_count() / 32) {
    uint32_t pos[K], neg[K];
    count_word<K>(a, w, pos, neg);
    const size_t i = w * 32 + lane;
    if (i < a.numel) {
      a.sums[i] = int16_t(int(counter_value<K>(pos, int(lane))) - int(counter_value<K>(neg, int(lane))));
    }
  }
}

}  // namespace

lioncubResult_t vote(const VoteArgs& a, cudaStream_t stream) {
  const size_t words = (a.numel + 31) / 32;
  with_counter_depth(a.nvec, [&](auto k) {
    const auto kernel = vote_kernel<decltype(k)::value>;
    kernel<<<grid_for(kernel, words), kThreads, 0, stream>>>(a);
  });
  return launch_result("lioncub vote");
}

lioncubResult_t vote_count(const VoteArgs& a, cudaStream_t stream) {
  const size_t words = (a.numel + 31) / 32;
  with_counter_depth(a.nvec, [&](auto k) {
    const auto kernel = vote_count_kernel<decltype(k)::value>;
    kernel<<<grid_for(kernel, words, kThreads / 32), kThreads, 0, stream>>>(a);
  });
  return launch_result("lioncub vote count");
}

lioncubResult_t ternary_reencode(const TernaryArgs& a, cudaStream_t stream) {
  const size_t words = (a.numel + 31) / 32;
  with_counter_depth(a.nvec, [&](auto k) {
    const auto kernel = ternary_reencode_kernel<decltype(k)::value>;
    kernel<<<grid_for(kernel, words), kThreads, 0, stream>>>(a);
  });
  return launch_result("lioncub ternary re-encode");
}

lioncubResult_t ternary_sum(const TernaryArgs& a, cudaStream_t stream) {
  const size_t words = (a.numel + 31) / 32;
  with_counter_depth(a.nvec, [&](auto k) {
    const auto kernel = ternary_sum_kernel<decltype(k)::value>;
    kernel<<<grid_for(kernel, words, kThreads / 32), kThreads, 0, stream>>>(a);
  });
  return launch_result("lioncub ternary sum");
}

}  // namespace lioncub::cuda
