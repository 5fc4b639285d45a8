// quant2-rs: the schedule of alltoall-vote with 2-bit shards ([sign | nonzero] words per shard),
// an exact ternary sum of the own shard (lioncubTernaryReencode), then the allgather of the
// result (shards.cc): 1 plane with tie alternate, 2 planes with tie zero.
#include "collectives/algorithms/algorithms.h"

namespace lioncub::coll {

void quant2_rs(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  SignArgs b = a;
  b.algo = lioncubAlgoQuant2Rs;  // also packed-sum's fallback
  const double t_start = now_s();
  const int P = comm.size();
  const size_t W = lioncubPackedWords(a.numel);
  // Send blocks: block j = this rank's shard j of the sign plane, then of the nonzero plane.
  auto* stage = static_cast<uint32_t*>(comm.scratch(kScratchA, 2 * W * sizeof(uint32_t)));
  for (int j = 0; j < P; ++j) {
    const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
    if (len == 0) continue;
    comm.copy(stage + 2 * lo, a.sign + lo, len * sizeof(uint32_t));
    comm.copy(stage + 2 * lo + len, a.nonzero + lo, len * sizeof(uint32_t));
  }
  const Shards s = exchange_shards(comm, b, 2, stage, t_start);
  check_kernel(lioncubTernaryReencode(s.recv, s.recv + s.len, 2 * s.len, P, s.numel, a.tie,
                                      a.step, s.res, s.res_nz, comm.memory(), comm.stream()),
               "lioncubTernaryReencode");
  gather_shards(comm, b, s, stats);
}

}  // namespace lioncub::coll
