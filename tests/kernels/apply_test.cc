// Apply pass against p*(1 - lr*wd) - lr*u written out per element.
#include "typed_buffer.h"

namespace lioncub::test {
namespace {

float ref_apply(float p, float u, float lr, float wd) { return p * (1.0f - lr * wd) - lr * u; }

void expect_params(const TypedBuffer& got, const std::vector<float>& expect_values) {
  size_t wrong = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    TypedBuffer e(got.type(), 1);
    e.set(0, expect_values[i]);
    if (e.raw(0) != got.raw(i) && ++wrong < 5) {
      ADD_FAILURE() << "param " << i << ": " << got.get(i) << " != " << expect_values[i];
    }
  }
  EXPECT_EQ(wrong, 0u);
}

class ApplyTest : public ::testing::TestWithParam<lioncubDataType_t> {};

TEST_P(ApplyTest, AllUpdateKinds) {
  auto rng = rng_for_test();
  const lioncubDataType_t type = GetParam();
  for (size_t n : odd_sizes()) {
    SCOPED_TRACE("numel " + std::to_string(n));
    const float lr = 1e-3f * float(1 + rng() % 100), wd = (rng() % 2) ? 0.1f : 0.0f;
    TypedBuffer p0(type, n);
    fill_random(p0, rng);
    std::vector<uint32_t> sign(words_of(n)), nonzero(words_of(n));
    for (size_t w = 0; w < sign.size(); ++w) {
      sign[w] = uint32_t(rng());
      nonzero[w] = uint32_t(rng()) | uint32_t(rng());
    }
    const int nvec = 1 + int(rng() % 64);
    std::vector<uint16_t> counts(n);
    std::vector<int16_t> sums(n);
    for (size_t i = 0; i < n; ++i) {
      counts[i] = uint16_t(rng() % (nvec + 1));
      sums[i] = int16_t(int(rng() % (2 * nvec + 1)) - nvec);
    }
    for (int kind = 0; kind < 4; ++kind) {
      TypedBuffer p = p0;
      std::vector<float> expect(n);
      lioncubUpdate_t u{};
      u.nvec = nvec;
      for (size_t i = 0; i < n; ++i) {
        float ui;
        switch (kind) {
          case 0: ui = ref_bit(nonzero, i) ? (ref_bit(sign, i) ? 1.0f : -1.0f) : 0.0f; break;
          case 1: ui = ref_bit(sign, i) ? 1.0f : -1.0f; break;
          case 2: ui = float(2 * counts[i] - nvec) / float(nvec); break;
          default: ui = float(sums[i]) / float(nvec); break;
        }
        expect[i] = ref_apply(p0.get(i), ui, lr, wd);
      }
      switch (kind) {
        case 0: u.kind = lioncubUpdatePlanes; u.sign = sign.data(); u.nonzero = nonzero.data(); break;
        case 1: u.kind = lioncubUpdatePlanes; u.sign = sign.data(); break;
        case 2: u.kind = lioncubUpdateCounts; u.counts = counts.data(); break;
        default: u.kind = lioncubUpdateSums; u.sums = sums.data(); break;
      }
      ASSERT_EQ(lioncubApply(n, type, p.data(), &u, lr, wd, lioncubMemHost, nullptr), lioncubSuccess)
          << lioncubGetLastErrorMessage();
      SCOPED_TRACE("update kind " + std::to_string(kind));
      expect_params(p, expect);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(ParamTypes, ApplyTest, ::testing::Values(lioncubFloat32, lioncubBfloat16));

// One worker, exact sign: a full encode + apply is one step of plain Lion.
TEST(Apply, EncodeThenApplyIsPlainLion) {
  auto rng = rng_for_test();
  const size_t n = 12345;
  TypedBuffer g(lioncubFloat32, n), m(lioncubFloat32, n), p(lioncubFloat32, n);
  fill_random(g, rng, 0.2);
  fill_random(m, rng, 0.2);
  fill_random(p, rng);
  for (size_t i = 0; i < n; i += 3) m.set(i, 0.0f), g.set(i, 0.0f);  // c == 0: no update
  const float lr = 0.01f, wd = 0.5f, b1 = 0.9f, b2 = 0.99f;
  std::vector<float> expect_p(n), expect_m(n);
  for (size_t i = 0; i < n; ++i) {
    const float c = b1 * m.get(i) + (1 - b1) * g.get(i);
    const float u = c > 0 ? 1.0f : c < 0 ? -1.0f : 0.0f;
    expect_p[i] = ref_apply(p.get(i), u, lr, wd);
    expect_m[i] = b2 * m.get(i) + (1 - b2) * g.get(i);
  }
  std::vector<uint32_t> sign(words_of(n)), nonzero(words_of(n));
  lioncubEncodeDesc_t d{n, lioncubFloat32, lioncubFloat32, b1, b2, lioncubCodeTernary, 0.0f, 32};
  ASSERT_EQ(lioncubEncode(&d, g.data(), m.data(), sign.data(), nonzero.data(), nullptr, lioncubMemHost, nullptr),
            lioncubSuccess);
  lioncubUpdate_t u{};
  u.kind = lioncubUpdatePlanes;
  u.sign = sign.data();
  u.nonzero = nonzero.data();
  ASSERT_EQ(lioncubApply(n, lioncubFloat32, p.data(), &u, lr, wd, lioncubMemHost, nullptr), lioncubSuccess);
  expect_params(p, expect_p);
  expect_params(m, expect_m);
}

}  // namespace
}  // namespace lioncub::test
