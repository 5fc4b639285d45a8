// hierarchical-vote: the majority of P = H x R 1-bit codes when R ranks share each of H hosts
// (and so one NIC). Flat alltoall-vote sends every rank's shards across the NIC; here the ranks
// of a host first count their votes together, and only the counts cross the NIC:
//
//   1. intra-host all-to-all: local rank l gets shard l (1/R of the words) of its R neighbours'
//      codes;
//   2. it counts them: counter_bits(R) bit planes per element (kernels/sliced.h);
//   3. inter-host all-to-all among the H ranks with local index l: sub-shard k of shard l's
//      counts goes to host k;
//   4. each rank adds the H counters of its sub-shard and takes the majority of all P votes
//      (the same tie rule as the flat vote, so the result is bit for bit alltoall-vote's);
//   5. the results travel back: inter-host allgather of the sub-shards among local index l,
//      then intra-host allgather of the shards.
// Across each host's NIC: (bits + planes) * W * (H-1)/H words, where flat alltoall-vote sends
// R * W * (P-R)/P words of shards plus its ring allgather (planes: 1, or 2 when ties can be 0).
// All exchanges are Backend::alltoallv calls with blocks only to the peers of one level (empty
// blocks post no message). Host memory only for now: the word passes are CPU loops.
#include <string>
#include <vector>

#include "collectives/algorithms/algorithms.h"
#include "collectives/algorithms/topology.h"
#include "common/clock.h"
#include "common/error.h"
#include "kernels/bitslice.h"
#include "kernels/sliced.h"

namespace lioncub::coll {
namespace {

thread_local uint64_t g_cross_host_bytes = 0;

constexpr size_t kWord = sizeof(uint32_t);

// One alltoallv whose blocks (in words) are given per destination and source; the rest are 0.
struct Exchange {
  explicit Exchange(int P) : soff(P, 0), ssz(P, 0), roff(P, 0), rsz(P, 0) {}
  void to(int peer, size_t off_words, size_t words) {
    soff[peer] = off_words * kWord;
    ssz[peer] = words * kWord;
  }
  void from(int peer, size_t off_words, size_t words) {
    roff[peer] = off_words * kWord;
    rsz[peer] = words * kWord;
  }
  // Runs it and adds the bytes sent to ranks on other hosts to g_cross_host_bytes.
  void run(Backend& comm, const HostLayout& L, const void* send, void* recv) {
    const int me = L.host_of[comm.rank()];
    for (size_t j = 0; j < ssz.size(); ++j) {
      if (L.host_of[j] != me) g_cross_host_bytes += ssz[j];
    }
    comm.alltoallv(send, soff.data(), ssz.data(), recv, roff.data(), rsz.data());
  }
  std::vector<size_t> soff, ssz, roff, rsz;
};


}  // namespace

uint64_t last_cross_host_bytes() { return g_cross_host_bytes; }

bool hierarchical_vote_applies(Backend& comm) {
  if (comm.memory() != lioncubMemHost || comm.size() == 1) return false;
  const HostLayout& L = host_layout(comm);
  return L.per_host > 1 && L.hosts > 1;
}

void hierarchical_vote(Backend& comm, const SignArgs& a, lioncubCollStats_t* stats) {
  if (comm.memory() != lioncubMemHost) {
    raise(lioncubNotSupported, "hierarchical-vote runs on host communicators only (for now)");
  }
  if (a.nonzero != nullptr) raise(lioncubInvalidArgument, "hierarchical-vote takes 1-bit sign codes");
  const HostLayout& L = host_layout(comm);
  if (L.per_host == 0) {  // hosts with different numbers of ranks: the flat schedule
    SignArgs flat = a;
    flat.algo = lioncubAlgoAlltoallVote;
    return sign_aggregate(comm, flat, stats);
  }
  g_cross_host_bytes = 0;
  const double t_start = now_s();
  const int P = comm.size(), r = comm.rank();
  const int H = L.hosts, R = L.per_host, h = L.host_of[r], l = L.local_of[r];
  const size_t W = lioncubPackedWords(a.numel);
  const int bits = counter_bits(R);
  const bool two_planes = a.tie == lioncubTieZero && P % 2 == 0 && a.nonzero_out != nullptr;
  const size_t planes = two_planes ? 2 : 1;

  // Shard m of the plane (by local index) and sub-shard k of a shard (by host), in words.
  auto lo1 = [&](int m) { return shard_lo(W, R, m); };
  auto lo2 = [&](int m, int k) { return shard_lo(lo1(m + 1) - lo1(m), H, k); };  // within shard m
  const size_t s_len = lo1(l + 1) - lo1(l);
  const size_t sub_off = lo2(l, h), sub_len = lo2(l, h + 1) - sub_off;

  // 1. Shard m of this rank's code to local rank m; shard l of each neighbour back.
  auto* shards = static_cast<uint32_t*>(comm.scratch(kScratchA, R * s_len * kWord));
  Exchange x1(P);
  for (int m = 0; m < R; ++m) {
    const int peer = L.ranks[h][m];
    x1.to(peer, lo1(m), lo1(m + 1) - lo1(m));
    x1.from(peer, static_cast<size_t>(m) * s_len, s_len);
  }
  x1.run(comm, L, a.sign, shards);
  const double t1 = now_s();

  // 2. This host's counts of shard l, staged by destination host: block k = `bits` planes of
  // sub-shard k, back to back.
  auto* counts = static_cast<uint32_t*>(comm.scratch(kScratchB, bits * s_len * kWord));
  for (int k = 0; k < H; ++k) {
    const size_t off = lo2(l, k), len = lo2(l, k + 1) - off;
    sliced_count(shards + off, s_len, R, len, bits, counts + bits * off);
  }

  // 3. Sub-shard k of the counts to host k (its rank with local index l).
  auto* all_counts = static_cast<uint32_t*>(comm.scratch(kScratchC, H * bits * sub_len * kWord));
  Exchange x3(P);
  for (int k = 0; k < H; ++k) {
    const int peer = L.ranks[k][l];
    const size_t off = lo2(l, k), len = lo2(l, k + 1) - off;
    x3.to(peer, bits * off, bits * len);
    x3.from(peer, static_cast<size_t>(k) * bits * sub_len, bits * sub_len);
  }
  x3.run(comm, L, counts, all_counts);
  const double t2 = now_s();

  // 4. The majority of all P votes in this rank's sub-shard: [sign | nonzero].
  auto* result = static_cast<uint32_t*>(comm.scratch(kScratchA, planes * sub_len * kWord));
  const size_t first = (lo1(l) + sub_off) * 32;
  const size_t sub_numel = a.numel > first ? std::min(a.numel - first, sub_len * 32) : 0;
  sliced_majority(all_counts, bits * sub_len, H, bits, sub_len, sub_numel, P,
                  a.tie == lioncubTieAlternate, alternate_positive(a.step), result,
                  two_planes ? result + sub_len : nullptr);
  const double t3 = now_s();

  // 5a. Shard l's result from the H ranks with local index l: block k = planes x sub-shard k.
  auto* shard_res = static_cast<uint32_t*>(comm.scratch(kScratchB, planes * s_len * kWord));
  Exchange x5(P);
  for (int k = 0; k < H; ++k) {
    const int peer = L.ranks[k][l];
    const size_t off = lo2(l, k), len = lo2(l, k + 1) - off;
    x5.to(peer, 0, planes * sub_len);
    x5.from(peer, planes * off, planes * len);
  }
  x5.run(comm, L, result, shard_res);

  // 5b. Every shard's result from the host's ranks: block m = planes x shard m.
  auto* all_res = static_cast<uint32_t*>(comm.scratch(kScratchC, planes * W * kWord));
  Exchange x6(P);
  for (int m = 0; m < R; ++m) {
    const int peer = L.ranks[h][m];
    x6.to(peer, 0, planes * s_len);
    x6.from(peer, planes * lo1(m), planes * (lo1(m + 1) - lo1(m)));
  }
  x6.run(comm, L, shard_res, all_res);

  // De-interleave: sub-shard (m, k) sits at planes * (lo1(m) + lo2(m, k)) as [sign | nonzero].
  for (int m = 0; m < R; ++m) {
    for (int k = 0; k < H; ++k) {
      const size_t off = lo1(m) + lo2(m, k), len = lo2(m, k + 1) - lo2(m, k);
      if (len == 0) continue;
      const uint32_t* block = all_res + planes * off;
      comm.copy(a.sign_out + off, block, len * kWord);
      if (two_planes) comm.copy(a.nonzero_out + off, block + len, len * kWord);
    }
  }
  if (!two_planes && a.nonzero_out != nullptr) fill_ones(comm, a.nonzero_out, a.numel);
  if (stats != nullptr) {
    const double t_end = now_s();
    stats->algorithm = lioncubAlgoHierarchicalVote;
    stats->secondsExchange = t1 - t_start;
    stats->secondsReduce = (t3 - t2) + (t2 - t1);
    stats->secondsGather = t_end - t3;
    stats->secondsTotal = t_end - t_start;
  }
}

}  // namespace lioncub::coll
