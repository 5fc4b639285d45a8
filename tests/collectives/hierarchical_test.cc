// hierarchical-vote: its word passes against scalar loops, its host layout, and its result
// against both a scalar majority and flat alltoall-vote for R ranks on each of H emulated hosts
// (LIONCUB_HOST_ID per forked rank, as a launcher would set it), R and H in 1..4.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "collectives/algorithms/algorithms.h"
#include "collectives/algorithms/topology.h"
#include "harness.h"
#include "kernels/sliced.h"
#include "lioncub/lioncub.h"

namespace lioncub::test {
namespace {

size_t nwords(size_t n) { return (n + 31) / 32; }
bool bit_of(const uint32_t* p, size_t i) { return (p[i / 32] >> (i % 32)) & 1u; }

int code_bit(uint64_t seed, int r, size_t i) {
  return static_cast<int>(splitmix64(seed * 1000003u + static_cast<uint64_t>(r) * 7919u + i * 2654435761u) & 1u);
}

std::vector<uint32_t> make_plane(uint64_t seed, int r, size_t n) {
  std::vector<uint32_t> p(nwords(n), 0);
  for (size_t i = 0; i < n; ++i) p[i / 32] |= static_cast<uint32_t>(code_bit(seed, r, i)) << (i % 32);
  return p;
}

// The majority of P codes of element i, ties per policy: +1, -1 or 0.
int majority(uint64_t seed, int P, size_t i, lioncubTiePolicy_t tie, uint64_t step) {
  int score = 0;
  for (int r = 0; r < P; ++r) score += code_bit(seed, r, i) ? 1 : -1;
  if (score != 0) return score > 0 ? 1 : -1;
  if (tie == lioncubTieZero) return 0;
  return step % 2 == 0 ? 1 : -1;
}

TEST(SlicedCount, MatchesScalarCounts) {
  for (int nvec : {1, 2, 3, 4, 7, 8, 9, 16}) {
    const size_t n = 1000 + static_cast<size_t>(nvec), W = nwords(n);
    std::vector<uint32_t> codes(W * nvec);
    for (int v = 0; v < nvec; ++v) {
      const auto p = make_plane(77, v, n);
      std::copy(p.begin(), p.end(), codes.begin() + static_cast<long>(W) * v);
    }
    int bits = 0;
    while ((nvec >> bits) != 0) ++bits;
    std::vector<uint32_t> planes(bits * W, 0xdeadbeefu);
    sliced_count(codes.data(), W, nvec, W, bits, planes.data());
    for (size_t i = 0; i < n; ++i) {
      int want = 0;
      for (int v = 0; v < nvec; ++v) want += code_bit(77, v, i);
      int got = 0;
      for (int k = 0; k < bits; ++k) got |= static_cast<int>(bit_of(planes.data() + k * W, i)) << k;
      ASSERT_EQ(got, want) << "nvec " << nvec << " element " << i;
    }
  }
}

// Counters of H hosts of R votes each, summed and resolved, against the scalar majority.
TEST(SlicedMajority, MatchesScalarMajorityWithTies) {
  for (int R : {1, 2, 3, 4}) {
    for (int H : {1, 2, 3, 5}) {
      const int P = R * H;
      const size_t n = 333, W = nwords(n);
      int bits = 0;
      while ((R >> bits) != 0) ++bits;
      std::vector<uint32_t> counters(static_cast<size_t>(H) * bits * W);
      for (int h = 0; h < H; ++h) {
        std::vector<uint32_t> codes(W * R);
        for (int l = 0; l < R; ++l) {
          const auto p = make_plane(5, h * R + l, n);
          std::copy(p.begin(), p.end(), codes.begin() + static_cast<long>(W) * l);
        }
        sliced_count(codes.data(), W, R, W, bits, counters.data() + static_cast<size_t>(h) * bits * W);
      }
      for (lioncubTiePolicy_t tie : {lioncubTieZero, lioncubTieAlternate}) {
        for (uint64_t step : {0u, 1u}) {
          std::vector<uint32_t> sign(W, ~0u), nz(W, ~0u);
          sliced_majority(counters.data(), bits * W, H, bits, W, n, P, tie == lioncubTieAlternate,
                          step % 2 == 0, sign.data(), nz.data());
          for (size_t i = 0; i < n; ++i) {
            const int got = bit_of(nz.data(), i) ? (bit_of(sign.data(), i) ? 1 : -1) : 0;
            ASSERT_EQ(got, majority(5, P, i, tie, step)) << "R " << R << " H " << H << " i " << i;
          }
          EXPECT_EQ(sign[W - 1] >> (n % 32), 0u) << "pad bits";
          EXPECT_EQ(nz[W - 1] >> (n % 32), 0u) << "pad bits";
        }
      }
    }
  }
}

TEST(HostLayout, GroupsRanksByKeyInOrderOfLowestRank) {
  const auto L = coll::layout_from_keys({9, 4, 9, 4, 7, 7});
  EXPECT_EQ(L.hosts, 3);
  EXPECT_EQ(L.per_host, 2);
  EXPECT_EQ(L.ranks[0], (std::vector<int>{0, 2}));
  EXPECT_EQ(L.ranks[1], (std::vector<int>{1, 3}));
  EXPECT_EQ(L.ranks[2], (std::vector<int>{4, 5}));
  EXPECT_EQ(L.local_of[3], 1);
  EXPECT_EQ(L.host_of[4], 2);
  EXPECT_EQ(coll::layout_from_keys({1, 1, 2}).per_host, 0) << "unequal hosts";
  EXPECT_EQ(coll::layout_from_keys({3}).hosts, 1);
}

// Bytes a rank of flat alltoall-vote sends to ranks on other hosts, from its schedule
// (docs/collectives.md): shard j to rank j, then the ring allgather to rank r+1 of every block
// but r+1's.
uint64_t flat_cross_bytes(const coll::HostLayout& L, int r, size_t W, size_t planes) {
  const int P = static_cast<int>(L.host_of.size());
  auto len = [&](int j) { return W * (j + 1) / P - W * j / P; };
  uint64_t words = 0;
  for (int j = 0; j < P; ++j) {
    if (L.host_of[j] != L.host_of[r]) words += len(j);
  }
  const int next = (r + 1) % P;
  if (L.host_of[next] != L.host_of[r]) {
    for (int j = 0; j < P; ++j) {
      if (j != next) words += planes * len(j);
    }
  }
  return 4 * words;
}

// Bytes rank (h, l) of hierarchical-vote sends to other hosts: its sub-shards' counts (bits
// planes) to each other host's rank l, and its sub-shard's result (planes) back to each of them.
uint64_t hier_cross_bytes(int R, int H, int h, int l, size_t W, size_t planes) {
  int bits = 0;
  while ((R >> bits) != 0) ++bits;
  const size_t s_len = coll::shard_lo(W, R, l + 1) - coll::shard_lo(W, R, l);
  auto lo2 = [&](int k) { return coll::shard_lo(s_len, H, k); };
  uint64_t words = 0;
  for (int k = 0; k < H; ++k) {
    if (k != h) words += bits * (lo2(k + 1) - lo2(k)) + planes * (lo2(h + 1) - lo2(h));
  }
  return 4 * words;
}

struct Shape {
  int R, H;
  bool interleaved;  // rank r on host r % H instead of r / R
};

void PrintTo(const Shape& s, std::ostream* os) {
  *os << "R=" << s.R << " H=" << s.H << (s.interleaved ? " interleaved" : "");
}

std::string shape_name(const testing::TestParamInfo<Shape>& info) {
  return "R" + std::to_string(info.param.R) + "_H" + std::to_string(info.param.H) +
         (info.param.interleaved ? "_interleaved" : "");
}

class HierarchicalVote : public testing::TestWithParam<Shape> {};

TEST_P(HierarchicalVote, EqualsFlatAlltoallVoteAndTheMajority) {
  const Shape s = GetParam();
  const int P = s.R * s.H;
  const std::string rdv = loopback(free_port());
  const auto errors = run_all(P, [&](int rank) -> std::string {
    const int host = s.interleaved ? rank % s.H : rank / s.R;
    ::setenv("LIONCUB_HOST_ID", ("emulated-host-" + std::to_string(host)).c_str(), 1);
    lioncubComm_t comm = nullptr;
    const lioncubResult_t init = lioncubCommInitHost(&comm, P, rank, rdv.c_str());
    if (init != lioncubSuccess) return "init: " + describe(init);
    std::vector<uint64_t> keys(static_cast<size_t>(P));
    for (int r = 0; r < P; ++r) keys[r] = static_cast<uint64_t>(s.interleaved ? r % s.H : r / s.R);
    const coll::HostLayout L = coll::layout_from_keys(keys);
    uint64_t seed = 100;
    for (size_t n : {size_t(0), size_t(1), size_t(33), size_t(1000), size_t(100003)}) {
      for (lioncubTiePolicy_t tie : {lioncubTieZero, lioncubTieAlternate}) {
        for (uint64_t step : {uint64_t(0), uint64_t(1)}) {
          ++seed;
          const auto in = make_plane(seed, rank, n);
          const size_t W = nwords(n);
          std::vector<uint32_t> hs(W + 1, 0xa5a5a5a5u), hz(W + 1, 0xa5a5a5a5u);
          std::vector<uint32_t> fs(W + 1, 0), fz(W + 1, 0);
          lioncubCollStats_t st{};
          std::ostringstream where;
          where << "n=" << n << " tie=" << tie << " step=" << step << ": ";
          lioncubResult_t rc = lioncubSignAggregate(comm, lioncubAlgoHierarchicalVote, lioncubCodeSign,
                                                    in.data(), nullptr, n, tie, step, hs.data(),
                                                    hz.data(), &st, nullptr);
          if (rc != lioncubSuccess) return where.str() + describe(rc);
          const uint64_t cross = coll::last_cross_host_bytes();
          if (st.algorithm != lioncubAlgoHierarchicalVote) return where.str() + "stats.algorithm";
          rc = lioncubSignAggregate(comm, lioncubAlgoAlltoallVote, lioncubCodeSign, in.data(), nullptr,
                                    n, tie, step, fs.data(), fz.data(), nullptr, nullptr);
          if (rc != lioncubSuccess) return where.str() + "flat: " + describe(rc);
          for (size_t w = 0; w < W; ++w) {
            if (hs[w] != fs[w] || hz[w] != fz[w]) return where.str() + "differs from alltoall-vote at word " + std::to_string(w);
          }
          for (size_t i = 0; i < n; ++i) {
            const int got = bit_of(hz.data(), i) ? (bit_of(hs.data(), i) ? 1 : -1) : 0;
            if (got != majority(seed, P, i, tie, step)) return where.str() + "wrong at " + std::to_string(i);
          }
          if (hs[W] != 0xa5a5a5a5u || hz[W] != 0xa5a5a5a5u) return where.str() + "wrote past the plane";
          // The counted NIC bytes, against the schedule in hierarchical_vote.cc; per host, fewer
          // than flat alltoall-vote's (from its schedule) whenever R > 1 and H > 1.
          const size_t planes = (tie == lioncubTieZero && P % 2 == 0) ? 2 : 1;
          const uint64_t want = hier_cross_bytes(s.R, s.H, L.host_of[rank], L.local_of[rank], W, planes);
          if (cross != want) return where.str() + "cross-host bytes " + std::to_string(cross) + ", want " + std::to_string(want);
          if (n == 100003 && s.R > 1 && s.H > 1) {
            uint64_t hier = 0, flat = 0;
            for (int j : L.ranks[L.host_of[rank]]) {
              hier += hier_cross_bytes(s.R, s.H, L.host_of[j], L.local_of[j], W, planes);
              flat += flat_cross_bytes(L, j, W, planes);
            }
            if (hier >= flat) return where.str() + "no fewer NIC bytes than flat";
            if (rank == 0 && tie == lioncubTieAlternate && step == 0) {
              std::printf("R=%d H=%d%s: NIC bytes per host %llu (hierarchical) / %llu (flat) = %.3f\n",
                          s.R, s.H, s.interleaved ? " interleaved" : "", (unsigned long long)hier,
                          (unsigned long long)flat, double(hier) / double(flat));
            }
          }
        }
      }
    }
    lioncubCommDestroy(comm);
    return "";
  }, 180.0);
  for (int r = 0; r < P; ++r) EXPECT_EQ(errors[r], "") << "rank " << r;
}

std::vector<Shape> shapes() {
  std::vector<Shape> v;
  for (int R = 1; R <= 4; ++R) {
    for (int H = 1; H <= 4; ++H) v.push_back({R, H, false});
  }
  v.push_back({2, 3, true});
  v.push_back({3, 2, true});
  return v;
}

INSTANTIATE_TEST_SUITE_P(Shapes, HierarchicalVote, testing::ValuesIn(shapes()), shape_name);

}  // namespace
}  // namespace lioncub::test
