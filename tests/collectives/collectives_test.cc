// Multi-process tests of the host backend over lioncub's plugin on loopback: every rank checks
// the full result against a reference computed here from all ranks' seeded inputs.
#include <gtest/gtest.h>

#include <ostream>

#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "lioncub/lioncub.h"

namespace lioncub::test {
namespace {

const std::vector<size_t> kSizes = {0, 1, 31, 33, 1000, 100003};

size_t words(size_t n) { return (n + 31) / 32; }
bool bit(const std::vector<uint32_t>& p, size_t i) { return (p[i / 32] >> (i % 32)) & 1u; }

// Element i of rank r's code for case `seed`: 1-bit (0/1) or ternary (-1/0/+1).
int sign_code(uint64_t seed, int r, size_t i) {
  return static_cast<int>(splitmix64(seed * 1000003u + static_cast<uint64_t>(r) * 7919u + i * 2654435761u) & 1u);
}
int ternary_code(uint64_t seed, int r, size_t i) {
  return static_cast<int>(splitmix64(seed * 1000003u + static_cast<uint64_t>(r) * 7919u + i * 2654435761u) % 3) - 1;
}

struct Planes {
  std::vector<uint32_t> sign, nonzero;
};

Planes make_code(bool ternary, uint64_t seed, int r, size_t n) {
  Planes p{std::vector<uint32_t>(words(n), 0), std::vector<uint32_t>(words(n), 0)};
  for (size_t i = 0; i < n; ++i) {
    const int v = ternary ? ternary_code(seed, r, i) : sign_code(seed, r, i);
    if (ternary ? v > 0 : v == 1) p.sign[i / 32] |= 1u << (i % 32);
    if (v != 0) p.nonzero[i / 32] |= 1u << (i % 32);
  }
  return p;
}

// The expected u of element i: majority of the P 1-bit codes, or sign of the ternary sum.
int reference(bool ternary, uint64_t seed, int P, size_t i, lioncubTiePolicy_t tie, uint64_t step) {
  int score = 0;  // 1-bit: 2*count - P; ternary: the exact sum
  for (int r = 0; r < P; ++r) {
    score += ternary ? ternary_code(seed, r, i) : (sign_code(seed, r, i) ? 1 : -1);
  }
  if (score > 0) return 1;
  if (score < 0) return -1;
  if (tie == lioncubTieZero) return 0;
  return step % 2 == 0 ? 1 : -1;
}

// Bytes rank r sends, from the schedules in docs/collectives.md (shard j = words
// [W*j/P, W*(j+1)/P); the ring allgather sends every block except the one of rank r+1).
uint64_t expected_sent_bytes(lioncubAlgorithm_t algo, int P, int r, size_t W, lioncubTiePolicy_t tie,
                             int lanes) {
  auto len = [&](int j) { return W * (j + 1) / P - W * j / P; };
  if (algo == lioncubAlgoAllgatherVote) return 4ull * W * (P - 1);
  if (algo == lioncubAlgoPackedSum) {  // ring allreduce of B bytes: all segments but r+1, r+2
    if (P == 1) return 0;
    const int w = lanes;
    const uint64_t B = 4ull * W * w;
    auto seg = [&](int j) { return B * (j + 1) / P - B * j / P; };
    return 2 * B - seg((r + 1) % P) - seg((r + 2) % P);
  }
  const bool ternary = algo == lioncubAlgoQuant2Rs;
  const size_t in_planes = ternary ? 2 : 1;
  const size_t out_planes = (tie == lioncubTieZero && (ternary || P % 2 == 0)) ? 2 : 1;
  uint64_t words = 0;
  for (int j = 0; j < P; ++j) {
    if (j != r) words += in_planes * len(j);
    if (j != (r + 1) % P) words += out_planes * len(j);
  }
  return P == 1 ? 0 : 4 * words;
}

// One rank's sweep over sizes and tie policies for one algorithm; "" when all match.
std::string sweep_sign(lioncubComm_t comm, int P, lioncubAlgorithm_t algo, bool ternary,
                       const std::vector<size_t>& sizes) {
  uint64_t seed = 1;
  for (size_t n : sizes) {
    for (lioncubTiePolicy_t tie : {lioncubTieZero, lioncubTieAlternate}) {
      for (uint64_t step : {uint64_t(0), uint64_t(1)}) {
        if (tie == lioncubTieZero && step == 1) continue;
        ++seed;
        int rank = 0;
        lioncubCommRank(comm, &rank);
        Planes in = make_code(ternary, seed, rank, n);
        const size_t W = words(n);
        std::vector<uint32_t> sign(W + 1, 0xa5a5a5a5u), nonzero(W + 1, 0xa5a5a5a5u);
        lioncubCollStats_t stats{};
        const lioncubResult_t rc = lioncubSignAggregate(
            comm, algo, ternary ? lioncubCodeTernary : lioncubCodeSign, in.sign.data(),
            ternary ? in.nonzero.data() : nullptr, n, tie, step, sign.data(), nonzero.data(),
            &stats, nullptr);
        std::ostringstream where;
        where << lioncubAlgorithmName(algo) << " P=" << P << " n=" << n << " tie=" << tie
              << " step=" << step << ": ";
        if (rc != lioncubSuccess) return where.str() + describe(rc);
        if (algo != lioncubAlgoAuto && stats.algorithm != algo) return where.str() + "stats.algorithm";
        if (algo == lioncubAlgoAuto &&
            stats.algorithm == lioncubAlgoAuto) return where.str() + "auto did not report its choice";
        // packed-sum's lane width: sums up to P (1-bit) or 2P (ternary) fit in 2, 4 or 8 bits.
        const int max_sum = ternary ? 2 * P : P;
        const int lanes = max_sum <= 3 ? 2 : max_sum <= 15 ? 4 : 8;
        const uint64_t want_sent = expected_sent_bytes(stats.algorithm, P, rank, W, tie, lanes);
        if (stats.bytesSent != want_sent) {
          return where.str() + "bytesSent " + std::to_string(stats.bytesSent) + ", want " +
                 std::to_string(want_sent);
        }
        size_t wrong = 0;
        std::ostringstream detail;
        for (size_t i = 0; i < n; ++i) {
          const int want = reference(ternary, seed, P, i, tie, step);
          const int got = bit(nonzero, i) ? (bit(sign, i) ? 1 : -1) : 0;
          if (got != want && wrong++ < 3) detail << " [" << i << "] got " << got << " want " << want;
        }
        if (wrong) return where.str() + std::to_string(wrong) + " wrong:" + detail.str();
        if (n % 32 && ((sign[W - 1] >> (n % 32)) || (nonzero[W - 1] >> (n % 32)))) {
          return where.str() + "pad bits set";
        }
        if (sign[W] != 0xa5a5a5a5u || nonzero[W] != 0xa5a5a5a5u) return where.str() + "wrote past the plane";
      }
    }
  }
  return "";
}

// value = (j mod 65536)*3 + rank: sums and averages stay below 2^24, exact in fp32.
std::string sweep_allreduce(lioncubComm_t comm, int P, lioncubAlgorithm_t algo,
                            const std::vector<size_t>& sizes) {
  int rank = 0;
  lioncubCommRank(comm, &rank);
  for (size_t n : sizes) {
    for (lioncubReduceOp_t op : {lioncubSum, lioncubAvg}) {
      for (bool in_place : {false, true}) {
        std::vector<float> send(n), recv(n, -1.0f);
        for (size_t j = 0; j < n; ++j) send[j] = static_cast<float>((j % 65536) * 3 + static_cast<size_t>(rank));
        float* out = in_place ? send.data() : recv.data();
        lioncubCollStats_t stats{};
        const lioncubResult_t rc =
            lioncubAllreduce(comm, algo, send.data(), out, n, lioncubFloat32, op, &stats, nullptr);
        std::ostringstream where;
        where << "allreduce " << lioncubAlgorithmName(algo) << " P=" << P << " n=" << n
              << " op=" << op << " in_place=" << in_place << ": ";
        if (rc != lioncubSuccess) return where.str() + describe(rc);
        for (size_t j = 0; j < n; ++j) {
          const float sum = static_cast<float>(static_cast<double>(P) * static_cast<double>((j % 65536) * 3) +
                                               P * (P - 1) / 2.0);
          const float want = op == lioncubSum ? sum : sum / static_cast<float>(P);
          if (out[j] != want) {
            return where.str() + "[" + std::to_string(j) + "] got " + std::to_string(out[j]) +
                   " want " + std::to_string(want);
          }
        }
        if (!in_place) {
          for (size_t j = 0; j < n; ++j) {
            if (send[j] != static_cast<float>((j % 65536) * 3 + static_cast<size_t>(rank))) return where.str() + "input changed";
          }
        }
      }
    }
  }
  return "";
}

struct Case {
  int P;
  lioncubAlgorithm_t algo;
  bool ternary;
  bool large = false;  // n = 2^22 only
};

std::string case_name(const testing::TestParamInfo<Case>& info) {
  std::string a = lioncubAlgorithmName(info.param.algo);
  for (char& c : a) {
    if (c == '-') c = '_';
  }
  return a + (info.param.ternary ? "_ternary" : "") + "_P" + std::to_string(info.param.P) +
         (info.param.large ? "_n4M" : "");
}

// How ctest shows a case (instead of its raw bytes).
void PrintTo(const Case& c, std::ostream* os) {
  *os << lioncubAlgorithmName(c.algo) << (c.ternary ? " ternary" : " sign") << " P=" << c.P
      << (c.large ? " n=2^22" : "");
}

class Collectives : public testing::TestWithParam<Case> {};

TEST_P(Collectives, MatchesReferenceOnEveryRank) {
  const Case c = GetParam();
  const std::string rdv = loopback(free_port());
  const auto errors = run_all(c.P, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    lioncubResult_t rc = lioncubCommInitHost(&comm, c.P, rank, rdv.c_str());
    if (rc != lioncubSuccess) return "init: " + describe(rc);
    int got_rank = -1, got_size = -1;
    lioncubCommRank(comm, &got_rank);
    lioncubCommSize(comm, &got_size);
    if (got_rank != rank || got_size != c.P) return "rank/size getters";
    const std::vector<size_t> sizes = c.large ? std::vector<size_t>{size_t(1) << 22} : kSizes;
    std::string err = (c.algo == lioncubAlgoFull || c.algo == lioncubAlgoMean)
                          ? sweep_allreduce(comm, c.P, c.algo, sizes)
                          : sweep_sign(comm, c.P, c.algo, c.ternary, sizes);
    rc = lioncubCommDestroy(comm);
    if (err.empty() && rc != lioncubSuccess) err = "destroy: " + describe(rc);
    return err;
  });
  for (const std::string& e : errors) EXPECT_EQ(e, "");
}

// Averaging mode: every rank gets the exact count of ranks whose bit is 1, and the apply pass
// turns it into u = (2*count - P)/P, checked against a reference built here.
TEST(Averaging, CountsAndAppliedUpdateMatchReferenceOnEveryRank) {
  for (int P : {1, 2, 3, 4, 5, 8}) {
    SCOPED_TRACE("P = " + std::to_string(P));
    const std::string rdv = loopback(free_port());
    const auto errors = run_all(P, [&](int rank) -> std::string {
      lioncubComm_t comm = nullptr;
      lioncubResult_t rc = lioncubCommInitHost(&comm, P, rank, rdv.c_str());
      if (rc != lioncubSuccess) return "init: " + describe(rc);
      std::ostringstream err;
      for (size_t n : kSizes) {
        const uint64_t seed = 77 + n;
        const Planes mine = make_code(false, seed, rank, n);
        std::vector<uint16_t> counts(n + 1, 0xbeef);
        lioncubCollStats_t st{};
        rc = lioncubSignCount(comm, lioncubAlgoAuto, mine.sign.data(), n, counts.data(), &st, nullptr);
        if (rc != lioncubSuccess) return "count n=" + std::to_string(n) + ": " + describe(rc);
        std::vector<float> p(n, 1.0f);
        lioncubUpdate_t u{};
        u.kind = lioncubUpdateCounts;
        u.counts = counts.data();
        u.nvec = P;
        rc = lioncubApply(n, lioncubFloat32, p.data(), &u, 0.5f, 0.0f, lioncubMemHost, nullptr);
        if (rc != lioncubSuccess) return "apply: " + describe(rc);
        for (size_t i = 0; i < n; ++i) {
          int count = 0;
          for (int r = 0; r < P; ++r) count += sign_code(seed, r, i);
          const float want = 1.0f - 0.5f * (float(2 * count - P) / float(P));
          if (counts[i] != count || p[i] != want) {
            err << "n=" << n << " element " << i << ": count " << counts[i] << " want " << count;
            return err.str();
          }
        }
        if (counts[n] != 0xbeef) return "wrote past the counts";
        if (P > 1 && st.bytesSent != 4ull * words(n) * (P - 1)) return "bytesSent " + std::to_string(st.bytesSent);
      }
      rc = lioncubCommDestroy(comm);
      return rc == lioncubSuccess ? "" : "destroy: " + describe(rc);
    });
    for (const std::string& e : errors) EXPECT_EQ(e, "");
  }
}

std::vector<Case> all_cases() {
  std::vector<Case> v;
  for (int P : {1, 2, 3, 4, 5}) {
    v.push_back({P, lioncubAlgoAllgatherVote, false});
    v.push_back({P, lioncubAlgoAlltoallVote, false});
    v.push_back({P, lioncubAlgoQuant2Rs, true});
    v.push_back({P, lioncubAlgoFull, false});
    v.push_back({P, lioncubAlgoPackedSum, false});
    v.push_back({P, lioncubAlgoPackedSum, true});
  }
  for (int P : {2, 3}) {
    v.push_back({P, lioncubAlgoAuto, false});
    v.push_back({P, lioncubAlgoAuto, true});
    v.push_back({P, lioncubAlgoMean, false});
  }
  v.push_back({8, lioncubAlgoAlltoallVote, false});
  v.push_back({8, lioncubAlgoQuant2Rs, true});
  v.push_back({8, lioncubAlgoAllgatherVote, false});
  v.push_back({8, lioncubAlgoMean, false});
  v.push_back({8, lioncubAlgoPackedSum, false});
  v.push_back({8, lioncubAlgoPackedSum, true});
  // 2^22 elements (16 MiB of fp32 per rank for full), and 16 ranks.
  for (lioncubAlgorithm_t a : {lioncubAlgoAllgatherVote, lioncubAlgoAlltoallVote, lioncubAlgoFull}) {
    v.push_back({4, a, false, true});
  }
  v.push_back({4, lioncubAlgoQuant2Rs, true, true});
  v.push_back({4, lioncubAlgoPackedSum, true, true});
  v.push_back({16, lioncubAlgoAlltoallVote, false});
  v.push_back({16, lioncubAlgoQuant2Rs, true});
  v.push_back({16, lioncubAlgoPackedSum, false});
  return v;
}

INSTANTIATE_TEST_SUITE_P(HostBackend, Collectives, testing::ValuesIn(all_cases()), case_name);

}  // namespace
}  // namespace lioncub::test
