// The compressed collectives, written once over the Backend primitives (backend.h): the host
// backend (host_comm.h) and the NCCL backend (nccl_comm.h) run the same code; buffers are in the
// backend's memory(), kernels run through the kernels' C API on its stream(), and temporary
// buffers are the backend's scratch slots.
#pragma once

#include <cstddef>
#include <cstdint>

#include "collectives/backend/backend.h"
#include "common/clock.h"
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

// Runs a.algo (dispatch.cc; packed-sum falls back to alltoall-vote / quant2-rs where its lanes
// could overflow). Fills stats->algorithm and the seconds (0 on untimed backends); bytes are
// filled by the caller.
void sign_aggregate(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats);

// One file per algorithm.
void allgather_vote(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats);
void alltoall_vote(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats);
void quant2_rs(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats);

// Ring allgather of every rank's plane of W words into scratch slot A, rank j's plane at
// j * W: the exchange of allgather-vote and of the averaging mode (allgather_vote.cc).
const uint32_t* allgather_planes(Backend& comm, const uint32_t* plane, size_t W);

// The sharded algorithms (alltoall-vote, quant2-rs) in three steps (shards.cc): an all-to-all
// that sends shard j of this rank's `in_planes` interleaved planes to rank j; the caller's
// reduction of the P received copies of its own shard into `res` (and `res_nz` when two result
// planes travel); then the allgather of the reduced shards into the result and the statistics.
struct Shards {
  size_t words = 0;          // W: words per plane
  size_t lo = 0, len = 0;    // this rank's shard: words [lo, lo + len)
  size_t numel = 0;          // elements of this rank's shard
  const uint32_t* recv = nullptr;  // P copies of the shard, in_planes * len words each
  bool two_planes = false;   // the nonzero plane is gathered too (results can be 0)
  uint32_t* res = nullptr;   // this rank's result shard (scratch)
  uint32_t* res_nz = nullptr;
  double t_start = 0, t_exchanged = 0;
};
// t_start: when the call began (quant2-rs stages its send blocks first).
Shards exchange_shards(Backend& comm, const SignArgs& a, size_t in_planes, const uint32_t* send,
                       double t_start);
void gather_shards(Backend& comm, const SignArgs& a, const Shards& s, lioncubCollStats_t* stats);

// The statistics' algorithm and seconds.
void fill_stats(lioncubCollStats_t* stats, lioncubAlgorithm_t algo, double exchange,
                double reduce, double gather, double total);

// Averaging mode: counts[i] = ranks whose bit i is 1, the same on every rank (allgather of the
// 1-bit codes, then lioncubVoteCount locally; sign_count.cc).
void sign_count(Backend& comm, const uint32_t* sign, size_t numel, uint16_t* counts,
                lioncubCollStats_t* stats);

// packed-sum's lane width for P ranks: 2, 4 or 8 bits, 0 when 8-bit lanes could overflow.
int packed_sum_width(int P, bool ternary);
// packed-sum (packed_sum.cc); needs packed_sum_width(P, ternary) != 0.
void packed_sum(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats);

// Every element of a plane of numel elements set to 1, pad bits 0 (shards.cc).
void fill_ones(Backend& comm, uint32_t* plane, size_t numel);

// hierarchical-vote (hierarchical_vote.cc): 1-bit codes on a host communicator whose ranks share
// hosts; equal to alltoall-vote's result bit for bit. Hosts with unequal rank counts run
// alltoall-vote (and say so in stats->algorithm).
void hierarchical_vote(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats);
// Whether auto should pick it: a host communicator with more than one host and more than one rank
// on each (the same number on each). Collective on the communicator's first call.
bool hierarchical_vote_applies(Backend& comm);
// Bytes this thread's last hierarchical_vote sent to ranks on other hosts (the NIC's share).
uint64_t last_cross_host_bytes();

// Float allreduce (full / mean): sum or average of count fp32 values (float_allreduce.cc).
void float_allreduce(Backend& comm, lioncubAlgorithm_t algo, const float* send, float* recv,
                     size_t count, bool average, lioncubCollStats_t* stats);

// Throws Error carrying rc with the kernel's message when rc is not success.
void check_kernel(lioncubResult_t rc, const char* what);

}  // namespace lioncub::coll
