// The compressed collectives, written once over the backend primitives (allgatherv, alltoallv,
// allreduce_sum). Only the host backend exists so far; the NCCL backend will offer the same three.
#pragma once

#include <cstddef>
#include <cstdint>

#include "collectives/host_comm.h"
#include "lioncub/lioncub.h"

namespace lioncub::coll {

struct SignArgs {
  lioncubAlgorithm_t algo;  // resolved: allgather-vote, alltoall-vote, quant2-rs, packed-sum
  const uint32_t* sign;
  const uint32_t* nonzero;  // ternary codes only (quant2-rs, packed-sum); null for 1-bit codes
  size_t numel;
  lioncubTiePolicy_t tie;
  uint64_t step;
  uint32_t* sign_out;
  uint32_t* nonzero_out;  // may be null when no element can be 0
};

// Shard j of a plane of `words` words over P ranks: words [lo(j), lo(j+1)).
inline size_t shard_lo(size_t words, int P, int j) {
  return words * static_cast<size_t>(j) / static_cast<size_t>(P);
}

void sign_aggregate(HostComm& comm, const SignArgs& a, lioncubCollStats_t* stats);

// packed-sum's lane width for P ranks: 2, 4 or 8 bits, 0 when 8-bit lanes could overflow.
int packed_sum_width(int P, bool ternary);
// packed-sum (packed_sum.cc); needs packed_sum_width(P, ternary) != 0.
void packed_sum(HostComm& comm, const SignArgs& a, lioncubCollStats_t* stats);

}  // namespace lioncub::coll
