// The exchange and the gather of the sharded algorithms (alltoall_vote.cc, quant2_rs.cc): P
// ranks, W = ceil(numel/32) words per plane, shard j = words [W*j/P, W*(j+1)/P) (whole words, so
// any numel and P work; a shard may be empty when W < P).
#include <algorithm>
#include <vector>

#include "collectives/algorithms/algorithms.h"

namespace lioncub::coll {
namespace {


// Elements of a shard of words [lo, hi) (pad bits beyond numel excluded).
size_t shard_numel(size_t numel, size_t lo, size_t hi) {
  if (hi <= lo) return 0;
  return std::min(numel, hi * 32) - lo * 32;
}

}  // namespace

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

Shards exchange_shards(Backend& comm, const SignArgs& a, size_t in_planes, const uint32_t* send,
                       double t_start) {
  const int P = comm.size(), r = comm.rank();
  Shards s;
  s.t_start = t_start;
  s.words = lioncubPackedWords(a.numel);
  s.lo = shard_lo(s.words, P, r);
  s.len = shard_lo(s.words, P, r + 1) - s.lo;
  std::vector<size_t> soff(P), ssz(P), roff(P), rsz(P);
  for (int j = 0; j < P; ++j) {
    const size_t lo = shard_lo(s.words, P, j), len = shard_lo(s.words, P, j + 1) - lo;
    soff[j] = in_planes * lo * sizeof(uint32_t);
    ssz[j] = in_planes * len * sizeof(uint32_t);
    roff[j] = in_planes * s.len * j * sizeof(uint32_t);
    rsz[j] = in_planes * s.len * sizeof(uint32_t);
  }
  auto* recv = static_cast<uint32_t*>(
      comm.scratch(kScratchB, in_planes * s.len * static_cast<size_t>(P) * sizeof(uint32_t)));
  comm.alltoallv(send, soff.data(), ssz.data(), recv, roff.data(), rsz.data());
  s.recv = recv;
  s.t_exchanged = now_s();
  s.numel = shard_numel(a.numel, s.lo, s.lo + s.len);
  const bool ternary = in_planes == 2;
  const bool zeros_possible = a.tie == lioncubTieZero && (ternary || P % 2 == 0);
  s.two_planes = zeros_possible && a.nonzero_out != nullptr;
  s.res = static_cast<uint32_t*>(
      comm.scratch(kScratchC, (s.two_planes ? 2 : 1) * s.len * sizeof(uint32_t)));
  s.res_nz = s.two_planes ? s.res + s.len : nullptr;
  return s;
}

void gather_shards(Backend& comm, const SignArgs& a, const Shards& s, lioncubCollStats_t* stats) {
  const double t_reduced = now_s();
  const int P = comm.size();
  const size_t W = s.words, planes = s.two_planes ? 2 : 1;
  std::vector<size_t> off(P), sz(P);
  for (int j = 0; j < P; ++j) {
    const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
    off[j] = planes * lo * sizeof(uint32_t);
    sz[j] = planes * len * sizeof(uint32_t);
  }
  if (!s.two_planes) {  // gather in place into sign_out
    comm.copy(a.sign_out + s.lo, s.res, s.len * sizeof(uint32_t));
    comm.allgatherv(a.sign_out, off.data(), sz.data());
    if (a.nonzero_out != nullptr) fill_ones(comm, a.nonzero_out, a.numel);
  } else {
    auto* stage = static_cast<uint32_t*>(comm.scratch(kScratchA, 2 * W * sizeof(uint32_t)));
    comm.copy(stage + 2 * s.lo, s.res, 2 * s.len * sizeof(uint32_t));
    comm.allgatherv(stage, off.data(), sz.data());
    for (int j = 0; j < P; ++j) {  // de-interleave: 2P block copies
      const size_t lo = shard_lo(W, P, j), len = shard_lo(W, P, j + 1) - lo;
      if (len == 0) continue;
      comm.copy(a.sign_out + lo, stage + 2 * lo, len * sizeof(uint32_t));
      comm.copy(a.nonzero_out + lo, stage + 2 * lo + len, len * sizeof(uint32_t));
    }
  }
  const double t_end = now_s();
  fill_stats(stats, a.algo, s.t_exchanged - s.t_start, t_reduced - s.t_exchanged,
             t_end - t_reduced, now_s() - s.t_start);
}

}  // namespace lioncub::coll
