// Vote and vote count against per-element counting, P = 1..65 and both tie policies.
#include "test_util.h"

namespace lioncub::test {
namespace {

// nvec random vectors of n bits, `stride` words apart, pad bits zero. p_one = 1/2 makes exact
// ties frequent for even nvec.
std::vector<uint32_t> random_codes(std::mt19937_64& rng, int nvec, size_t n, size_t stride) {
  std::vector<uint32_t> codes(stride * nvec + 1, 0);
  for (int v = 0; v < nvec; ++v) {
    for (size_t i = 0; i < n; ++i) {
      if (rng() & 1) codes[v * stride + i / 32] |= 1u << (i % 32);
    }
  }
  return codes;
}

int ref_count(const std::vector<uint32_t>& codes, size_t stride, int nvec, size_t i) {
  int c = 0;
  for (int v = 0; v < nvec; ++v) c += (codes[v * stride + i / 32] >> (i % 32)) & 1u;
  return c;
}

// The expected u in {-1, 0, +1} of element i.
int ref_vote(int count, int nvec, lioncubTiePolicy_t tie, uint64_t step) {
  if (2 * count > nvec) return 1;
  if (2 * count < nvec) return -1;
  if (tie == lioncubTieZero) return 0;
  return step % 2 == 0 ? 1 : -1;
}

void check_vote(const std::vector<uint32_t>& codes, size_t stride, int nvec, size_t n,
                lioncubTiePolicy_t tie, uint64_t step, bool with_nonzero) {
  std::vector<uint32_t> sign(words_of(n) + 1, 0xa5a5a5a5u), nonzero(words_of(n) + 1, 0xa5a5a5a5u);
  ASSERT_EQ(lioncubVote(codes.data(), stride, nvec, n, tie, step, sign.data(),
                        with_nonzero ? nonzero.data() : nullptr, lioncubMemHost, nullptr),
            lioncubSuccess)
      << lioncubGetLastErrorMessage();
  size_t wrong = 0;
  for (size_t i = 0; i < n; ++i) {
    const int u = ref_vote(ref_count(codes, stride, nvec, i), nvec, tie, step);
    const bool s = ref_bit(sign, i), z = with_nonzero ? ref_bit(nonzero, i) : true;
    const int got = z ? (s ? 1 : -1) : 0;
    if (got != u && ++wrong < 5) ADD_FAILURE() << "element " << i << ": " << got << " != " << u;
  }
  EXPECT_EQ(wrong, 0u);
  if (n % 32) {
    EXPECT_EQ(sign[words_of(n) - 1] >> (n % 32), 0u) << "pad bits of the sign plane";
    if (with_nonzero) {
      EXPECT_EQ(nonzero[words_of(n) - 1] >> (n % 32), 0u) << "pad bits of the nonzero plane";
    }
  }
  EXPECT_EQ(sign[words_of(n)], 0xa5a5a5a5u) << "wrote past the plane";
}

TEST(Vote, AllSizesAndTiePolicies) {
  auto rng = rng_for_test();
  for (int nvec = 1; nvec <= 65; ++nvec) {
    for (size_t n : {size_t(1), size_t(31), size_t(32), size_t(33), size_t(1000), size_t(4099)}) {
      SCOPED_TRACE("nvec " + std::to_string(nvec) + " numel " + std::to_string(n));
      const size_t stride = words_of(n) + nvec % 3;  // padding between vectors, sometimes
      const auto codes = random_codes(rng, nvec, n, stride);
      const uint64_t step = rng() % 1000;
      check_vote(codes, stride, nvec, n, lioncubTieZero, step, true);
      check_vote(codes, stride, nvec, n, lioncubTieAlternate, step, true);
      check_vote(codes, stride, nvec, n, lioncubTieAlternate, step + 1, false);
      if (nvec % 2) check_vote(codes, stride, nvec, n, lioncubTieZero, step, false);
    }
  }
}

TEST(Vote, LargeSizesAndManyVectors) {
  auto rng = rng_for_test();
  for (int nvec : {8, 1024, 1025, 4097}) {
    const size_t n = nvec == 8 ? (1u << 20) + 7 : 1000;
    SCOPED_TRACE("nvec " + std::to_string(nvec));
    const auto codes = random_codes(rng, nvec, n, words_of(n));
    check_vote(codes, words_of(n), nvec, n, lioncubTieZero, 0, true);
    check_vote(codes, words_of(n), nvec, n, lioncubTieAlternate, 1, true);
  }
}

// Every element exactly tied: half the vectors all ones, half all zeros.
TEST(Vote, ExactTies) {
  for (int nvec : {2, 4, 8, 64}) {
    const size_t n = 333, stride = words_of(n);
    std::vector<uint32_t> codes(stride * nvec, 0);
    for (int v = 0; v < nvec / 2; ++v) {
      for (size_t i = 0; i < n; ++i) codes[v * stride + i / 32] |= 1u << (i % 32);
    }
    std::vector<uint32_t> sign(stride), nonzero(stride);
    ASSERT_EQ(lioncubVote(codes.data(), stride, nvec, n, lioncubTieZero, 0, sign.data(), nonzero.data(),
                          lioncubMemHost, nullptr),
              lioncubSuccess);
    for (size_t w = 0; w < stride; ++w) {
      EXPECT_EQ(sign[w], 0u);
      EXPECT_EQ(nonzero[w], 0u);
    }
    for (uint64_t step : {0u, 1u}) {
      ASSERT_EQ(lioncubVote(codes.data(), stride, nvec, n, lioncubTieAlternate, step, sign.data(),
                            nonzero.data(), lioncubMemHost, nullptr),
                lioncubSuccess);
      for (size_t i = 0; i < n; ++i) {
        EXPECT_EQ(ref_bit(sign, i), step == 0) << i;
        EXPECT_TRUE(ref_bit(nonzero, i)) << i;
      }
    }
  }
}

TEST(VoteCount, MatchesPerElementCount) {
  auto rng = rng_for_test();
  for (int nvec : {1, 2, 3, 7, 8, 15, 16, 33, 64, 65, 1024}) {
    for (size_t n : odd_sizes()) {
      if (nvec > 65 && n > 1000) continue;
      const size_t stride = words_of(n) + 1;
      const auto codes = random_codes(rng, nvec, n, stride);
      std::vector<uint16_t> counts(n + 1, 0xbeef);
      ASSERT_EQ(lioncubVoteCount(codes.data(), stride, nvec, n, counts.data(), lioncubMemHost, nullptr),
                lioncubSuccess);
      size_t wrong = 0;
      for (size_t i = 0; i < n; ++i) wrong += counts[i] != ref_count(codes, stride, nvec, i);
      EXPECT_EQ(wrong, 0u) << "nvec " << nvec << " numel " << n;
      EXPECT_EQ(counts[n], 0xbeef) << "wrote past the counts";
    }
  }
}

}  // namespace
}  // namespace lioncub::test
