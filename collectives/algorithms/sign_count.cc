// The averaging mode of the vote: every rank gets, per element, how many ranks' sign bits are 1,
// from which lioncubApply (lioncubUpdateCounts) computes u = (2*count - P) / P. Schedule: the
// ring allgather of allgather-vote ((P-1) * W words sent), then lioncubVoteCount over the P
// planes. Counts are 16 bits per element, so gathering them instead of the codes would cost
// more on the wire for any P below 16.
#include "collectives/algorithms/algorithms.h"

namespace lioncub::coll {

void sign_count(Backend& comm, const uint32_t* sign, size_t numel, uint16_t* counts,
                lioncubCollStats_t* stats) {
  const double t_start = now_s();
  const size_t W = lioncubPackedWords(numel);
  const uint32_t* all = allgather_planes(comm, sign, W);
  const double t1 = now_s();
  check_kernel(lioncubVoteCount(all, W, comm.size(), numel, counts, comm.memory(), comm.stream()),
               "lioncubVoteCount");
  const double t2 = now_s();
  fill_stats(stats, lioncubAlgoAllgatherVote, t1 - t_start, t2 - t1, 0, now_s() - t_start);
}

}  // namespace lioncub::coll
