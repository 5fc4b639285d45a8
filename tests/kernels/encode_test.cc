// Encode pass against a scalar reference: codes, momentum and the non-finite flag, for every
// dtype pair, both codes and odd sizes.
#include <algorithm>
#include <tuple>

#include "typed_buffer.h"

namespace lioncub::test {
namespace {

struct RefEncode {
  std::vector<uint32_t> sign, nonzero;
  std::vector<uint8_t> ambiguous;  // ternary elements too close to tau for an order-free reference
  std::vector<float> momentum;     // the new momentum, as values
  bool non_finite = false;
};

float ref_direction(float b1, float m, float g) { return b1 * m + (1.0f - b1) * g; }

RefEncode reference_encode(const TypedBuffer& g, const TypedBuffer& m, float b1, float b2,
                           bool ternary, float alpha, size_t block) {
  const size_t n = g.size();
  RefEncode r;
  r.sign.assign(words_of(n), 0);
  r.nonzero.assign(words_of(n), 0);
  r.ambiguous.assign(n, 0);
  r.momentum.resize(n);
  std::vector<float> c(n);
  for (size_t i = 0; i < n; ++i) {
    c[i] = ref_direction(b1, m.get(i), g.get(i));
    if (!std::isfinite(c[i])) r.non_finite = true;
    const float next = b2 * m.get(i) + (1.0f - b2) * g.get(i);
    r.momentum[i] = std::isfinite(next) ? next : m.get(i);
  }
  if (!ternary) {
    for (size_t i = 0; i < n; ++i) {
      if (std::isfinite(c[i]) && c[i] > 0) r.sign[i / 32] |= 1u << (i % 32);
    }
    return r;
  }
  for (size_t start = 0; start < n; start += block) {
    const size_t len = std::min(block, n - start);
    double sum = 0;
    for (size_t j = start; j < start + len; ++j) sum += std::isfinite(c[j]) ? std::fabs(double(c[j])) : 0.0;
    const double tau = double(alpha) * (sum / double(len));
    for (size_t j = start; j < start + len; ++j) {
      if (!std::isfinite(c[j])) continue;
      if (alpha != 0 && std::fabs(std::fabs(double(c[j])) - tau) <= 1e-5 * tau) {
        r.ambiguous[j] = 1;
        continue;
      }
      if (std::fabs(double(c[j])) > tau) {
        r.nonzero[j / 32] |= 1u << (j % 32);
        if (c[j] > 0) r.sign[j / 32] |= 1u << (j % 32);
      }
    }
  }
  return r;
}

// Compares the kernel's outputs with the reference; ambiguous elements may take either code.
void expect_matches(const RefEncode& r, const TypedBuffer& m, const std::vector<uint32_t>& sign,
                    const std::vector<uint32_t>& nonzero, bool ternary) {
  const size_t n = m.size();
  size_t bad_codes = 0, bad_momentum = 0, ambiguous = 0;
  for (size_t i = 0; i < n; ++i) {
    if (r.ambiguous[i]) {
      ++ambiguous;
      // Either zero or the sign of c: never the wrong sign.
      if (ref_bit(nonzero, i) && ref_bit(sign, i) != ref_bit(r.sign, i) && ref_bit(r.nonzero, i)) ++bad_codes;
    } else if (ref_bit(sign, i) != ref_bit(r.sign, i) || (ternary && ref_bit(nonzero, i) != ref_bit(r.nonzero, i))) {
      if (++bad_codes < 5) ADD_FAILURE() << "code of element " << i << " of " << n;
    }
    TypedBuffer expect(m.type(), 1);
    expect.set(0, r.momentum[i]);
    if (expect.raw(0) != m.raw(i) && !(std::isnan(r.momentum[i]) && std::isnan(m.get(i)))) {
      if (++bad_momentum < 5) ADD_FAILURE() << "momentum " << i << ": " << m.get(i) << " != " << r.momentum[i];
    }
  }
  // Pad bits stay zero.
  if (n % 32) {
    EXPECT_EQ(sign.back() >> (n % 32), 0u);
    if (ternary) {
      EXPECT_EQ(nonzero.back() >> (n % 32), 0u);
    }
  }
  EXPECT_EQ(bad_codes, 0u);
  EXPECT_EQ(bad_momentum, 0u);
  EXPECT_LE(ambiguous, n / 1000 + 2) << "the ambiguity band should catch only a few elements";
}

using EncodeParam = std::tuple<lioncubDataType_t, lioncubDataType_t, lioncubCode_t>;

class EncodeTest : public ::testing::TestWithParam<EncodeParam> {};

TEST_P(EncodeTest, MatchesScalarReference) {
  const auto [gtype, mtype, code] = GetParam();
  auto rng = rng_for_test();
  const bool ternary = code == lioncubCodeTernary;
  for (size_t n : odd_sizes()) {
    SCOPED_TRACE("numel " + std::to_string(n));
    TypedBuffer g(gtype, n), m(mtype, n);
    fill_random(g, rng);
    fill_random(m, rng);
    const float b1 = 0.9f, b2 = 0.99f, alpha = ternary ? 0.5f : 0.0f;
    const uint32_t block = 96;  // not a power of two: blocks straddle nothing but words
    const RefEncode ref = reference_encode(g, m, b1, b2, ternary, alpha, block);
    std::vector<uint32_t> sign(words_of(n), 0xdeadbeefu), nonzero(words_of(n), 0xdeadbeefu);
    int flag = 0;
    lioncubEncodeDesc_t d{n, gtype, mtype, b1, b2, code, alpha, block};
    ASSERT_EQ(lioncubEncode(&d, g.data(), m.data(), sign.data(), nonzero.data(), &flag, lioncubMemHost, nullptr),
              lioncubSuccess)
        << lioncubGetLastErrorMessage();
    expect_matches(ref, m, sign, nonzero, ternary);
    EXPECT_EQ(flag, 0) << "finite inputs must not raise the non-finite flag";
  }
}

INSTANTIATE_TEST_SUITE_P(
    AllTypes, EncodeTest,
    ::testing::Combine(::testing::Values(lioncubFloat32, lioncubBfloat16, lioncubFloat16),
                       ::testing::Values(lioncubFloat32, lioncubBfloat16),
                       ::testing::Values(lioncubCodeSign, lioncubCodeTernary)));

// alpha = 0 is exact sign with zeros kept; zero gradients and momentum give code 0.
TEST(Encode, TernaryAlphaZeroIsExactSign) {
  auto rng = rng_for_test();
  const size_t n = 1000;
  TypedBuffer g(lioncubFloat32, n), m(lioncubFloat32, n);
  fill_random(g, rng, 0.3);
  for (size_t i = 0; i < n; ++i) m.set(i, i % 3 == 0 ? 0.0f : g.get((i * 7) % n));
  std::vector<float> c(n);
  for (size_t i = 0; i < n; ++i) c[i] = ref_direction(0.9f, m.get(i), g.get(i));
  std::vector<uint32_t> sign(words_of(n)), nonzero(words_of(n));
  lioncubEncodeDesc_t d{n, lioncubFloat32, lioncubFloat32, 0.9f, 0.99f, lioncubCodeTernary, 0.0f, 32};
  ASSERT_EQ(lioncubEncode(&d, g.data(), m.data(), sign.data(), nonzero.data(), nullptr, lioncubMemHost, nullptr),
            lioncubSuccess);
  size_t zeros = 0;
  for (size_t i = 0; i < n; ++i) {
    EXPECT_EQ(ref_bit(nonzero, i), c[i] != 0.0f) << i;
    EXPECT_EQ(ref_bit(sign, i), c[i] > 0.0f) << i;
    zeros += c[i] == 0.0f;
  }
  EXPECT_GT(zeros, 10u) << "the test needs exact zeros";
}

// Values whose sums are exact in any order: the threshold is known exactly, and |c| == tau
// must give 0 (the comparison is strict). The last block is short (17 elements).
TEST(Encode, TernaryThresholdIsExactAndStrict) {
  auto rng = rng_for_test();
  const uint32_t block = 64;
  const size_t n = 3 * block + 17;
  TypedBuffer g(lioncubFloat32, n), m(lioncubFloat32, n);
  // Per whole block, |c| takes 0, 1, 2, 1 in turn (random signs, shuffled), so its mean is 1
  // and half of the elements sit exactly on tau. The short block has other values.
  for (size_t start = 0; start < n; start += block) {
    const size_t len = std::min<size_t>(block, n - start);
    std::vector<float> v(len);
    for (size_t j = 0; j < len; ++j) {
      const float mag = len == block ? float(j % 4 == 2 ? 2 : j % 4 == 0 ? 0 : 1) : float(rng() % 5);
      v[j] = (rng() & 1) ? mag : -mag;
    }
    std::shuffle(v.begin(), v.end(), rng);
    for (size_t j = 0; j < len; ++j) {
      g.set(start + j, v[j]);
      m.set(start + j, v[j]);
    }
  }
  // With beta1 = 0.5, c = (m + g) / 2 exactly; force some |c| to equal the block mean below.
  std::vector<float> c(n);
  for (size_t i = 0; i < n; ++i) c[i] = 0.5f * m.get(i) + 0.5f * g.get(i);
  std::vector<uint32_t> sign(words_of(n)), nonzero(words_of(n));
  lioncubEncodeDesc_t d{n, lioncubFloat32, lioncubFloat32, 0.5f, 0.5f, lioncubCodeTernary, 1.0f, block};
  ASSERT_EQ(lioncubEncode(&d, g.data(), m.data(), sign.data(), nonzero.data(), nullptr, lioncubMemHost, nullptr),
            lioncubSuccess);
  size_t at_tau = 0;
  for (size_t start = 0; start < n; start += block) {
    const size_t len = std::min<size_t>(block, n - start);
    float sum = 0;
    for (size_t j = start; j < start + len; ++j) sum += std::fabs(c[j]);
    const float tau = sum / float(len);
    for (size_t j = start; j < start + len; ++j) {
      const float a = std::fabs(c[j]);
      if (len == block) at_tau += a == tau;  // the short block may or may not have some
      EXPECT_EQ(ref_bit(nonzero, j), a > tau) << j;
      EXPECT_EQ(ref_bit(sign, j), c[j] > tau) << j;
    }
  }
  EXPECT_EQ(at_tau, 3u * block / 2) << "half of each of the 3 whole blocks sits on the threshold";
}

// NaN and Inf gradients abstain, leave their momentum alone, add nothing to the block mean and
// raise the flag.
TEST(Encode, NonFiniteAbstainsAndRaisesFlag) {
  const uint32_t block = 64;
  const size_t n = 2 * block;
  for (lioncubCode_t code : {lioncubCodeSign, lioncubCodeTernary}) {
    TypedBuffer g(lioncubFloat32, n), m(lioncubFloat32, n);
    for (size_t i = 0; i < n; ++i) {
      g.set(i, float(i % 5) - 2.0f);
      m.set(i, 1.0f);
    }
    g.set(3, NAN);
    g.set(40, INFINITY);
    g.set(70, -INFINITY);
    std::vector<uint32_t> sign(words_of(n)), nonzero(words_of(n));
    int flag = 0;
    lioncubEncodeDesc_t d{n, lioncubFloat32, lioncubFloat32, 0.5f, 0.5f, code, 1.0f, block};
    ASSERT_EQ(lioncubEncode(&d, g.data(), m.data(), sign.data(), nonzero.data(), &flag, lioncubMemHost, nullptr),
              lioncubSuccess);
    EXPECT_EQ(flag, 1);
    for (size_t i : {3u, 40u, 70u}) {
      EXPECT_FALSE(ref_bit(sign, i)) << i;
      if (code == lioncubCodeTernary) {
      EXPECT_FALSE(ref_bit(nonzero, i)) << i;
    }
      EXPECT_EQ(m.get(i), 1.0f) << "momentum of a non-finite element is kept";
    }
    if (code == lioncubCodeTernary) {
      // Block 0: c = (1 + g)/2 over finite elements; element 3 adds nothing but counts in len.
      float sum = 0;
      for (size_t j = 0; j < block; ++j) {
        if (j != 3 && j != 40) sum += std::fabs(0.5f * 1.0f + 0.5f * (float(j % 5) - 2.0f));
      }
      const float tau = sum / float(block);
      for (size_t j = 0; j < block; ++j) {
        if (j == 3 || j == 40) continue;
        const float cj = 0.5f + 0.5f * (float(j % 5) - 2.0f);
        EXPECT_EQ(ref_bit(nonzero, j), std::fabs(cj) > tau) << j;
      }
    }
  }
}

}  // namespace
}  // namespace lioncub::test
