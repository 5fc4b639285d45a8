// Ternary sum and re-encoding against per-element sums.
#include "test_util.h"

namespace lioncub::test {
namespace {

struct Trits {
  std::vector<uint32_t> sign, nonzero;
  size_t stride;
};

// Random codes in {-1, 0, +1}; with `junk`, some zero codes carry a stray sign bit, which must
// still count as 0.
Trits random_trits(std::mt19937_64& rng, int nvec, size_t n, size_t stride, bool junk) {
  Trits t{std::vector<uint32_t>(stride * nvec + 1, 0), std::vector<uint32_t>(stride * nvec + 1, 0), stride};
  for (int v = 0; v < nvec; ++v) {
    for (size_t i = 0; i < n; ++i) {
      const uint32_t bit = 1u << (i % 32);
      const size_t w = v * stride + i / 32;
      switch (rng() % 3) {
        case 0: t.sign[w] |= bit; t.nonzero[w] |= bit; break;
        case 1: t.nonzero[w] |= bit; break;
        default: if (junk && rng() % 2) t.sign[w] |= bit; break;
      }
    }
  }
  return t;
}

int ref_sum(const Trits& t, int nvec, size_t i) {
  int s = 0;
  for (int v = 0; v < nvec; ++v) {
    const size_t w = v * t.stride + i / 32;
    if ((t.nonzero[w] >> (i % 32)) & 1u) s += ((t.sign[w] >> (i % 32)) & 1u) ? 1 : -1;
  }
  return s;
}

TEST(TernarySum, ExactSumsAndReencoding) {
  auto rng = rng_for_test();
  for (int nvec = 1; nvec <= 65; nvec += (nvec < 10 ? 1 : 7)) {
    for (size_t n : odd_sizes()) {
      if (n > 1000 && nvec > 8) continue;
      SCOPED_TRACE("nvec " + std::to_string(nvec) + " numel " + std::to_string(n));
      const Trits t = random_trits(rng, nvec, n, words_of(n) + nvec % 2, nvec % 3 == 0);
      std::vector<int16_t> sums(n + 1, 12345);
      ASSERT_EQ(lioncubTernarySum(t.sign.data(), t.nonzero.data(), t.stride, nvec, n, sums.data(),
                                  lioncubMemHost, nullptr),
                lioncubSuccess)
          << lioncubGetLastErrorMessage();
      size_t wrong = 0;
      for (size_t i = 0; i < n; ++i) wrong += sums[i] != ref_sum(t, nvec, i);
      EXPECT_EQ(wrong, 0u);
      EXPECT_EQ(sums[n], 12345);

      for (lioncubTiePolicy_t tie : {lioncubTieZero, lioncubTieAlternate}) {
        const uint64_t step = rng() % 4;
        std::vector<uint32_t> sign(words_of(n) + 1, 0x5a5a5a5au), nonzero(words_of(n) + 1, 0x5a5a5a5au);
        ASSERT_EQ(lioncubTernaryReencode(t.sign.data(), t.nonzero.data(), t.stride, nvec, n, tie, step,
                                         sign.data(), nonzero.data(), lioncubMemHost, nullptr),
                  lioncubSuccess);
        size_t bad = 0;
        for (size_t i = 0; i < n; ++i) {
          const int s = ref_sum(t, nvec, i);
          const int expect = s > 0 ? 1 : s < 0 ? -1 : (tie == lioncubTieZero ? 0 : (step % 2 == 0 ? 1 : -1));
          const int got = ref_bit(nonzero, i) ? (ref_bit(sign, i) ? 1 : -1) : 0;
          bad += got != expect;
        }
        EXPECT_EQ(bad, 0u) << "tie policy " << tie;
        if (n % 32) {
          EXPECT_EQ(sign[words_of(n) - 1] >> (n % 32), 0u);
          EXPECT_EQ(nonzero[words_of(n) - 1] >> (n % 32), 0u);
        }
        EXPECT_EQ(sign[words_of(n)], 0x5a5a5a5au);
      }
    }
  }
}

TEST(TernarySum, ManyVectors) {
  auto rng = rng_for_test();
  for (int nvec : {1024, 1500}) {
    const size_t n = 777;
    const Trits t = random_trits(rng, nvec, n, words_of(n), false);
    std::vector<int16_t> sums(n);
    ASSERT_EQ(lioncubTernarySum(t.sign.data(), t.nonzero.data(), t.stride, nvec, n, sums.data(),
                                lioncubMemHost, nullptr),
              lioncubSuccess);
    for (size_t i = 0; i < n; ++i) ASSERT_EQ(sums[i], ref_sum(t, nvec, i)) << i;
  }
}

// All +1 from every vector: the sum is nvec; all zero: 0 and a tie.
TEST(TernarySum, ExtremesAndAllZero) {
  for (int nvec : {1, 2, 31, 32767}) {
    const size_t n = 40, stride = words_of(n);
    std::vector<uint32_t> ones(stride * nvec, 0), zeros(stride * nvec, 0);
    for (int v = 0; v < nvec; ++v) {
      ones[v * stride] = 0xffffffffu;
      ones[v * stride + 1] = 0xffu;
    }
    std::vector<int16_t> sums(n);
    ASSERT_EQ(lioncubTernarySum(ones.data(), ones.data(), stride, nvec, n, sums.data(), lioncubMemHost, nullptr),
              lioncubSuccess);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(sums[i], nvec);
    ASSERT_EQ(lioncubTernarySum(zeros.data(), ones.data(), stride, nvec, n, sums.data(), lioncubMemHost, nullptr),
              lioncubSuccess);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(sums[i], -nvec);
    ASSERT_EQ(lioncubTernarySum(ones.data(), zeros.data(), stride, nvec, n, sums.data(), lioncubMemHost, nullptr),
              lioncubSuccess);
    for (size_t i = 0; i < n; ++i) EXPECT_EQ(sums[i], 0) << "sign bits without nonzero bits count 0";
  }
}

}  // namespace
}  // namespace lioncub::test
