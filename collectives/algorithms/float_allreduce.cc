// full / mean: the backend's float sum-allreduce (host: ring reduce-scatter + allgather; NCCL:
// ncclAllReduce), with the seconds of its phases.
#include "collectives/algorithms/algorithms.h"

namespace lioncub::coll {

void float_allreduce(Backend& comm, lioncubAlgorithm_t algo, const float* send, float* recv,
                     size_t count, bool average, lioncubCollStats_t* stats) {
  const double t0 = now_s();
  double reduce_s = 0, gather_s = 0;
  comm.allreduce(send, recv, count, Lane::f32, average, &reduce_s, &gather_s);
  const double total = now_s() - t0;
  fill_stats(stats, algo, total - reduce_s - gather_s, reduce_s, gather_s, total);
}

}  // namespace lioncub::coll
