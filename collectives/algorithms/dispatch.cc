// The sign aggregate's dispatch over the algorithm files, and what they share: the kernel error
// check and the statistics. Written once over the Backend primitives: buffers are in
// comm.memory(), the kernels run on comm.stream(), block moves are comm.copy(), temporaries are
// comm.scratch() slots (kept between calls, never zero-filled). The collectives move words and
// copy whole blocks, never loop over elements.
#include <string>

#include "collectives/algorithms/algorithms.h"
#include "common/error.h"

namespace lioncub::coll {

void check_kernel(lioncubResult_t rc, const char* what) {
  if (rc != lioncubSuccess) raise(rc, std::string(what) + ": " + lioncubGetLastErrorMessage());
}

void fill_stats(lioncubCollStats_t* stats, lioncubAlgorithm_t algo, double exchange,
                double reduce, double gather, double total) {
  if (stats == nullptr) return;
  stats->algorithm = algo;
  stats->secondsExchange = exchange;
  stats->secondsReduce = reduce;
  stats->secondsGather = gather;
  stats->secondsTotal = total;
}

void sign_aggregate(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  switch (a.algo) {
    case lioncubAlgoAllgatherVote: return allgather_vote(comm, a, stats);
    case lioncubAlgoAlltoallVote: return alltoall_vote(comm, a, stats);
    case lioncubAlgoQuant2Rs: return quant2_rs(comm, a, stats);
    case lioncubAlgoHierarchicalVote: return hierarchical_vote(comm, a, stats);
    case lioncubAlgoPackedSum: {
      const bool ternary = a.nonzero != nullptr;
      if (packed_sum_width(comm.size(), ternary) != 0) return packed_sum(comm, a, stats);
      // Lanes of 8 bits could overflow: the all-to-all algorithm for this code instead.
      return ternary ? quant2_rs(comm, a, stats) : alltoall_vote(comm, a, stats);
    }
    default: raise(lioncubInternalError, "sign_aggregate: unresolved algorithm " + std::to_string(a.algo));
  }
}

}  // namespace lioncub::coll
