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
// All bit work is done by the kernels' C API; the collectives only move words and memcpy blocks.
#include <cstring>
#include <vector>

#include "collectives/algorithms.h"
#include "collectives/status.h"

namespace lioncub::coll {

namespace {

void check_kernel(lioncubResult_t rc, const char* what) {
  if (rc != lioncubSuccess) {
    raise(rc, std::string(what) + ": " + lioncubGetLastErrorMessage());
  }
}

// Every element of a plane of numel elements set to 1, pad bits 0.
void fill_ones(uint32_t* plane, size_t numel) {
  const size_t W = lioncubPackedWords(numel);
  if (W == 0) return;
  std::memset(plane, 0xff, W * sizeof(uint32_t));
  if (numel % 32 != 0) plane[W - 1] = (1u << (numel % 32)) - 1u;
}

// Elements of shard j (pad bits beyond numel excluded).
size_t shard_numel(size_t numel, size_t lo, size_t hi) {
  if (hi <= lo) return 0;
  return std::min(numel, hi * 32) - lo * 32;
}

// Allgathers the voted shards (sign, and nonzero when two planes) into sign_out / nonzero_out.
// `res` holds this rank's shard result: two_planes ? [sign | nonzero] : [sign].
void gather_result(HostComm& comm, size_t W, bool two_planes, const uint32_t* res,
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
    if (len_r > 0) std::memcpy(sign_out + lo_r, res, len_r * sizeof(uint32_t));
    comm.allgatherv(sign_out, off.data(), sz.data());
    return;
  }
  std::vector<uint32_t> stage(2 * W);
  if (len_r > 0) std::memcpy(stage.data() + 2 * lo_r, res, 2 * len_r * sizeof(uint32_t));
  comm.allgatherv(stage.data(), off.data(), sz.data());
  for (int j = 0; j < P; ++j) {  // de-interleave: 2P block copies
    const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
    if (len == 0) continue;
    std::memcpy(sign_out + lo, stage.data() + 2 * lo, len * sizeof(uint32_t));
    std::memcpy(nonzero_out + lo, stage.data() + 2 * lo + len, len * sizeof(uint32_t));
  }
}

}  // namespace

void sign_aggregate(HostComm& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  const int P = comm.size(), r = comm.rank();
  const size_t W = lioncubPackedWords(a.numel);
  if (a.algo == lioncubAlgoPackedSum) {
    if (packed_sum_width(P, a.nonzero != nullptr) != 0) return packed_sum(comm, a, stats);
    // Lanes of 8 bits could overflow: fall back to the all-to-all algorithm for this code.
    SignArgs b = a;
    b.algo = a.nonzero != nullptr ? lioncubAlgoQuant2Rs : lioncubAlgoAlltoallVote;
    return sign_aggregate(comm, b, stats);
  }
  const double t_start = driver::now_s();
  double t_exchange = 0, t_reduce = 0, t_gather = 0;

  if (a.algo == lioncubAlgoAllgatherVote) {
    std::vector<uint32_t> all(W * static_cast<size_t>(P));
    if (W > 0) std::memcpy(all.data() + W * r, a.sign, W * sizeof(uint32_t));
    std::vector<size_t> off(P), sz(P, W * sizeof(uint32_t));
    for (int j = 0; j < P; ++j) off[j] = W * j * sizeof(uint32_t);
    comm.allgatherv(all.data(), off.data(), sz.data());
    const double t1 = driver::now_s();
    t_exchange = t1 - t_start;
    check_kernel(lioncubVote(all.data(), W, P, a.numel, a.tie, a.step, a.sign_out, a.nonzero_out,
                             lioncubMemHost, nullptr),
                 "lioncubVote");
    t_reduce = driver::now_s() - t1;
  } else {
    const bool ternary = a.algo == lioncubAlgoQuant2Rs;
    const size_t in_planes = ternary ? 2 : 1;
    const size_t lo_r = shard_lo(W, P, r), len_r = shard_lo(W, P, r + 1) - lo_r;
    // Send blocks: block j = this rank's shard j of each input plane, back to back.
    std::vector<uint32_t> send_stage;
    const uint32_t* send = a.sign;
    if (ternary) {
      send_stage.resize(2 * W);
      for (int j = 0; j < P; ++j) {
        const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
        if (len == 0) continue;
        std::memcpy(send_stage.data() + 2 * lo, a.sign + lo, len * sizeof(uint32_t));
        std::memcpy(send_stage.data() + 2 * lo + len, a.nonzero + lo, len * sizeof(uint32_t));
      }
      send = send_stage.data();
    }
    std::vector<size_t> soff(P), ssz(P), roff(P), rsz(P);
    for (int j = 0; j < P; ++j) {
      const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
      soff[j] = in_planes * lo * sizeof(uint32_t);
      ssz[j] = in_planes * len * sizeof(uint32_t);
      roff[j] = in_planes * len_r * j * sizeof(uint32_t);
      rsz[j] = in_planes * len_r * sizeof(uint32_t);
    }
    std::vector<uint32_t> recv(in_planes * len_r * static_cast<size_t>(P));
    comm.alltoallv(send, soff.data(), ssz.data(), recv.data(), roff.data(), rsz.data());
    const double t1 = driver::now_s();
    t_exchange = t1 - t_start;

    const size_t n_r = shard_numel(a.numel, lo_r, lo_r + len_r);
    const bool zeros_possible = a.tie == lioncubTieZero && (ternary || P % 2 == 0);
    const bool two_planes = zeros_possible && a.nonzero_out != nullptr;
    std::vector<uint32_t> res((two_planes ? 2 : 1) * len_r);
    uint32_t* res_nz = two_planes ? res.data() + len_r : nullptr;
    if (ternary) {
      check_kernel(lioncubTernaryReencode(recv.data(), recv.data() + len_r, 2 * len_r, P, n_r,
                                          a.tie, a.step, res.data(), res_nz, lioncubMemHost,
                                          nullptr),
                   "lioncubTernaryReencode");
    } else {
      check_kernel(lioncubVote(recv.data(), len_r, P, n_r, a.tie, a.step, res.data(), res_nz,
                               lioncubMemHost, nullptr),
                   "lioncubVote");
    }
    const double t2 = driver::now_s();
    t_reduce = t2 - t1;
    gather_result(comm, W, two_planes, res.data(), a.sign_out, a.nonzero_out);
    if (!two_planes && a.nonzero_out != nullptr) fill_ones(a.nonzero_out, a.numel);
    t_gather = driver::now_s() - t2;
  }
  if (stats != nullptr) {
    stats->algorithm = a.algo;
    stats->secondsExchange = t_exchange;
    stats->secondsReduce = t_reduce;
    stats->secondsGather = t_gather;
    stats->secondsTotal = driver::now_s() - t_start;
  }
}

}  // namespace lioncub::coll
