// The shared conversions against definitions written out in the test.
#include "kernels/dtype.h"
#include "test_util.h"

namespace lioncub::test {
namespace {

TEST(Dtype, Fp16ToFloatEveryValue) {
  for (uint32_t b = 0; b < 0x10000u; ++b) {
    const float got = to_float(fp16{uint16_t(b)});
    const float want = ref_from_fp16(uint16_t(b));
    if (std::isnan(want)) {
      ASSERT_TRUE(std::isnan(got)) << b;
    } else {
      ASSERT_EQ(bits_of(got), bits_of(want)) << "fp16 bits " << b;
    }
  }
}

TEST(Dtype, Bf16RoundsToNearestEven) {
  auto rng = rng_for_test();
  std::vector<uint32_t> cases{0u, 0x80000000u, 0x3f808000u /* tie, even down */,
                              0x3f818000u /* tie, odd up */, 0x3f808001u, 0x7f7fffffu /* to Inf */,
                              0x7f800000u, 0xff800000u, 0x00000001u, 0x007fffffu, 0x7fc00000u,
                              0x7f800001u /* signalling NaN stays NaN */};
  for (int i = 0; i < 1000000; ++i) cases.push_back(uint32_t(rng()));
  for (uint32_t u : cases) {
    const float f = float_of(u);
    const uint16_t got = to_bf16(f).bits;
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(ref_from_bf16(got))) << std::hex << u;
      ASSERT_EQ(got >> 15, u >> 31) << "NaN keeps its sign";
    } else {
      ASSERT_EQ(got, ref_to_bf16(f)) << std::hex << "float bits " << u;
    }
  }
}

TEST(Dtype, Bf16ToFloatIsExact) {
  for (uint32_t b = 0; b < 0x10000u; ++b) {
    const float f = to_float(bf16{uint16_t(b)});
    ASSERT_EQ(bits_of(f), b << 16);
  }
}

}  // namespace
}  // namespace lioncub::test
