// alltoall-vote: all-to-all of 1-bit shards (shard j of this rank's plane goes to rank j); rank r
// votes its shard over the P received copies (lioncubVote, stride = shard length), then a ring
// allgatherv of the voted shards (shards.cc). Sent: ~2*W*(P-1)/P words, plus the nonzero
// plane's shards in the allgather when ties can be 0 (even P, tie zero).
#include "collectives/algorithms/algorithms.h"

namespace lioncub::coll {

void alltoall_vote(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  SignArgs b = a;
  b.algo = lioncubAlgoAlltoallVote;  // also packed-sum's fallback
  const Shards s = exchange_shards(comm, b, 1, a.sign, now_s());
  check_kernel(lioncubVote(s.recv, s.len, comm.size(), s.numel, a.tie, a.step, s.res, s.res_nz,
                           comm.memory(), comm.stream()),
               "lioncubVote");
  gather_shards(comm, b, s, stats);
}

}  // namespace lioncub::coll
