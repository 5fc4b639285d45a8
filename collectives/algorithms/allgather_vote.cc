// allgather-vote: ring allgather of the P 1-bit planes (P-1 steps of W words), then one
// lioncubVote over the P planes. Sent: (P-1)*W words.
#include <vector>

#include "collectives/algorithms/algorithms.h"

namespace lioncub::coll {

const uint32_t* allgather_planes(Backend& comm, const uint32_t* plane, size_t W) {
  const int P = comm.size();
  auto* all = static_cast<uint32_t*>(comm.scratch(kScratchA, W * P * sizeof(uint32_t)));
  comm.copy(all + W * comm.rank(), plane, W * sizeof(uint32_t));
  std::vector<size_t> off(P), sz(P, W * sizeof(uint32_t));
  for (int j = 0; j < P; ++j) off[j] = W * j * sizeof(uint32_t);
  comm.allgatherv(all, off.data(), sz.data());
  return all;
}

void allgather_vote(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  const double t_start = now_s();
  const size_t W = lioncubPackedWords(a.numel);
  const uint32_t* all = allgather_planes(comm, a.sign, W);
  const double t1 = now_s();
  check_kernel(lioncubVote(all, W, comm.size(), a.numel, a.tie, a.step, a.sign_out, a.nonzero_out,
                           comm.memory(), comm.stream()),
               "lioncubVote");
  const double t2 = now_s();
  fill_stats(stats, lioncubAlgoAllgatherVote, t1 - t_start, t2 - t1, 0, now_s() - t_start);
}

}  // namespace lioncub::coll
