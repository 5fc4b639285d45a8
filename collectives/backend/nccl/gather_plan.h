// How the NCCL backend gathers P blocks (Backend::allgatherv), as a pure host function so that
// its arithmetic is tested without a GPU (tests/kernels/gpu_host_test.cc).
//
// ncclAllGather needs P equal blocks laid out back to back, rank j's at base + j*block. The
// shards of the compressed collectives are words [W*j/P, W*(j+1)/P) of a plane, so their sizes
// differ by one word whenever P does not divide W. Padding every shard to the largest size would
// make the allgather write up to P-1 words past the end of the caller's plane, so the padded
// layout needs a staging buffer and P-1 copies out (what this backend did before). Instead an
// irregular layout is gathered in place with grouped ncclSend/ncclRecv: this rank's block goes to
// every peer and every peer's block lands at its own offset. No staging, no copies, and the bytes
// on the wire are those of the ring allgather (own block to P-1 peers, P-1 blocks received).
#pragma once

#include <cstddef>
#include <cstdint>

namespace lioncub::coll {

struct GatherPlan {
  enum Kind { kNothing, kAllGather, kPointToPoint } kind = kNothing;
  size_t base = 0;   // kAllGather: offset of block 0
  size_t block = 0;  // kAllGather: bytes per rank
  uint64_t sent = 0, received = 0;  // bytes this rank sends and receives
};

inline GatherPlan plan_gather(int P, int rank, const size_t* offsets, const size_t* sizes) {
  GatherPlan plan;
  if (P <= 1) return plan;
  bool regular = true;
  uint64_t others = 0;
  for (int j = 0; j < P; ++j) {
    regular = regular && sizes[j] == sizes[0] && offsets[j] == offsets[0] + sizes[0] * size_t(j);
    if (j != rank) others += sizes[j];
  }
  if (others == 0 && sizes[rank] == 0) return plan;
  plan.sent = uint64_t(sizes[rank]) * uint64_t(P - 1);
  plan.received = others;
  if (regular) {
    plan.kind = GatherPlan::kAllGather;
    plan.base = offsets[0];
    plan.block = sizes[0];
  } else {
    plan.kind = GatherPlan::kPointToPoint;
  }
  return plan;
}

}  // namespace lioncub::coll
