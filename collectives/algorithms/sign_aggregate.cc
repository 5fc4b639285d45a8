// Schedules (P ranks, W = ceil(numel/32) words per plane, shard j = words [W*j/P, W*(j+1)/P)):
//
// allgather-vote   ring allgather of the P 1-bit planes (P-1 steps of W words), then one
//                  lioncubVote over the P planes. Sent: (P-1)*W words.
// alltoall-vote    all-to-all: shard j of this rank's plane goes to rank j; rank r votes its
//                  shard over the P received copies (lioncubVote, stride = shard length), then a
//                  ring allgatherv of the voted shards. Sent: ~2*W*(P-1)/P words, plus the
//                  nonzero plane's shards in the allgather when ties can be 0 (even P, tie zero).
// quant2-rs        the same with 2-bit shards ([sign | nonzero] per shard), an exact ternary sum
//                  of the own shard (lioncubTernaryReencode), then the allgather of the result:
//                  1 plane with tie alternate, 2 planes with tie zero.
// Written once over the Backend primitives: buffers are in comm.memory(), the kernels run on
// comm.stream(), block moves are comm.copy(), temporaries are comm.scratch() slots (kept between
// calls, never zero-filled). The collectives move words and copy whole blocks, never loop over
// elements.
#include <algorithm>
#include <string>
#include <vector>

#include "collectives/algorithms/algorithms.h"
#include "common/error.h"

namespace lioncub::coll {

void check_kernel(lioncubResult_t rc, const char* what) {
  if (rc != lioncubSuccess) raise(rc, std::string(what) + ": " + lioncubGetLastErrorMessage());
}


namespace {

// Every element of a plane of numel elements set to 1, pad bits 0, with byte fills only (the
// last word's mask (1 << k) - 1 is 0xff bytes, one partial byte, then zero bytes).
void fill_ones(Backend& comm, uint32_t* plane, size_t numel) {
  const size_t W = lioncubPackedWords(numel);
  if (W == 0) return;
  auto* b = reinterpret_cast<uint8_t*>(plane);
  const size_t full = numel / 8, total = W * sizeof(uint32_t);
  comm.fill(b, 0xff, full);
  if (full < total) {
    comm.fill(b + full, (1 << (numel % 8)) - 1, 1);
    comm.fill(b + full + 1, 0, total - full - 1);
  }
}

// Elements of shard j (pad bits beyond numel excluded).
size_t shard_numel(size_t numel, size_t lo, size_t hi) {
  if (hi <= lo) return 0;
  return std::min(numel, hi * 32) - lo * 32;
}

// Allgathers the voted shards (sign, and nonzero when two planes) into sign_out / nonzero_out.
// `res` holds this rank's shard result: two_planes ? [sign | nonzero] : [sign].
void gather_result(Backend& comm, size_t W, bool two_planes, const uint32_t* res,
                   uint32_t* sign_out, uint32_t* nonzero_out) {
  const int P = comm.size(), r = comm.rank();
  std::vector<size_t> off(P), sz(P);
  const size_t planes = two_planes ? 2 : 1;
  for (int j = 0; j < P; ++j) {
    const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
    off[j] = planes * lo * sizeof(uint32_t);
    sz[j] = planes * len * sizeof(uint32_t);
  }
  const size_t lo_r = shard_lo(W, P, r), len_r = shard_lo(W, P, r + 1) - lo_r;
  if (!two_planes) {  // gather in place into sign_out
    comm.copy(sign_out + lo_r, res, len_r * sizeof(uint32_t));
    comm.allgatherv(sign_out, off.data(), sz.data());
    return;
  }
  auto* stage = static_cast<uint32_t*>(comm.scratch(kScratchA, 2 * W * sizeof(uint32_t)));
  comm.copy(stage + 2 * lo_r, res, 2 * len_r * sizeof(uint32_t));
  comm.allgatherv(stage, off.data(), sz.data());
  for (int j = 0; j < P; ++j) {  // de-interleave: 2P block copies
    const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
    if (len == 0) continue;
    comm.copy(sign_out + lo, stage + 2 * lo, len * sizeof(uint32_t));
    comm.copy(nonzero_out + lo, stage + 2 * lo + len, len * sizeof(uint32_t));
  }
}

}  // namespace

const uint32_t* allgather_planes(Backend& comm, const uint32_t* plane, size_t W) {
  const int P = comm.size();
  auto* all = static_cast<uint32_t*>(comm.scratch(kScratchA, W * P * sizeof(uint32_t)));
  comm.copy(all + W * comm.rank(), plane, W * sizeof(uint32_t));
  std::vector<size_t> off(P), sz(P, W * sizeof(uint32_t));
  for (int j = 0; j < P; ++j) off[j] = W * j * sizeof(uint32_t);
  comm.allgatherv(all, off.data(), sz.data());
  return all;
}

void sign_aggregate(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  const int P = comm.size(), r = comm.rank();
  const lioncubMemory_t mem = comm.memory();
  cudaStream_t stream = comm.stream();
  const size_t W = lioncubPackedWords(a.numel);
  if (a.algo == lioncubAlgoHierarchicalVote) return hierarchical_vote(comm, a, stats);
  if (a.algo == lioncubAlgoPackedSum) {
    if (packed_sum_width(P, a.nonzero != nullptr) != 0) return packed_sum(comm, a, stats);
    // Lanes of 8 bits could overflow: fall back to the all-to-all algorithm for this code.
    SignArgs b = a;
    b.algo = a.nonzero != nullptr ? lioncubAlgoQuant2Rs : lioncubAlgoAlltoallVote;
    return sign_aggregate(comm, b, stats);
  }
  const double t_start = now_s();
  double t_exchange = 0, t_reduce = 0, t_gather = 0;

  if (a.algo == lioncubAlgoAllgatherVote) {
    const uint32_t* all = allgather_planes(comm, a.sign, W);
    const double t1 = now_s();
    t_exchange = t1 - t_start;
    check_kernel(lioncubVote(all, W, P, a.numel, a.tie, a.step, a.sign_out, a.nonzero_out, mem,
                             stream),
                 "lioncubVote");
    t_reduce = now_s() - t1;
  } else {
    const bool ternary = a.algo == lioncubAlgoQuant2Rs;
    const size_t in_planes = ternary ? 2 : 1;
    const size_t lo_r = shard_lo(W, P, r), len_r = shard_lo(W, P, r + 1) - lo_r;
    // Send blocks: block j = this rank's shard j of each input plane, back to back.
    const uint32_t* send = a.sign;
    if (ternary) {
      auto* stage = static_cast<uint32_t*>(comm.scratch(kScratchA, 2 * W * sizeof(uint32_t)));
      for (int j = 0; j < P; ++j) {
        const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
        if (len == 0) continue;
        comm.copy(stage + 2 * lo, a.sign + lo, len * sizeof(uint32_t));
        comm.copy(stage + 2 * lo + len, a.nonzero + lo, len * sizeof(uint32_t));
      }
      send = stage;
    }
    std::vector<size_t> soff(P), ssz(P), roff(P), rsz(P);
    for (int j = 0; j < P; ++j) {
      const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
      soff[j] = in_planes * lo * sizeof(uint32_t);
      ssz[j] = in_planes * len * sizeof(uint32_t);
      roff[j] = in_planes * len_r * j * sizeof(uint32_t);
      rsz[j] = in_planes * len_r * sizeof(uint32_t);
    }
    auto* recv = static_cast<uint32_t*>(
        comm.scratch(kScratchB, in_planes * len_r * static_cast<size_t>(P) * sizeof(uint32_t)));
    comm.alltoallv(send, soff.data(), ssz.data(), recv, roff.data(), rsz.data());
    const double t1 = now_s();
    t_exchange = t1 - t_start;

    const size_t n_r = shard_numel(a.numel, lo_r, lo_r + len_r);
    const bool zeros_possible = a.tie == lioncubTieZero && (ternary || P % 2 == 0);
    const bool two_planes = zeros_possible && a.nonzero_out != nullptr;
    auto* res = static_cast<uint32_t*>(
        comm.scratch(kScratchC, (two_planes ? 2 : 1) * len_r * sizeof(uint32_t)));
    uint32_t* res_nz = two_planes ? res + len_r : nullptr;
    if (ternary) {
      check_kernel(lioncubTernaryReencode(recv, recv + len_r, 2 * len_r, P, n_r, a.tie, a.step,
                                          res, res_nz, mem, stream),
                   "lioncubTernaryReencode");
    } else {
      check_kernel(lioncubVote(recv, len_r, P, n_r, a.tie, a.step, res, res_nz, mem, stream),
                   "lioncubVote");
    }
    const double t2 = now_s();
    t_reduce = t2 - t1;
    gather_result(comm, W, two_planes, res, a.sign_out, a.nonzero_out);
    if (!two_planes && a.nonzero_out != nullptr) fill_ones(comm, a.nonzero_out, a.numel);
    t_gather = now_s() - t2;
  }
  if (stats != nullptr) {
    stats->algorithm = a.algo;
    stats->secondsExchange = t_exchange;
    stats->secondsReduce = t_reduce;
    stats->secondsGather = t_gather;
    stats->secondsTotal = now_s() - t_start;
  }
}

void float_allreduce(Backend& comm, lioncubAlgorithm_t algo, const float* send, float* recv,
                     size_t count, bool average, lioncubCollStats_t* stats) {
  const double t0 = now_s();
  double reduce_s = 0, gather_s = 0;
  comm.allreduce(send, recv, count, Lane::f32, average, &reduce_s, &gather_s);
  if (stats != nullptr) {
    const double total = now_s() - t0;
    stats->algorithm = algo;
    stats->secondsReduce = reduce_s;
    stats->secondsGather = gather_s;
    stats->secondsExchange = total - reduce_s - gather_s;
    stats->secondsTotal = total;
  }
}

}  // namespace lioncub::coll
