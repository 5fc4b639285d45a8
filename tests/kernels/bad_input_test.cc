// Every kernel entry point rejects bad arguments with an error code and a message.
#include <string>

#include "test_util.h"

namespace lioncub::test {
namespace {

// The call must fail with `code` and leave a message naming the function.
#define EXPECT_REJECTED(call, code, fn)                                             \
  do {                                                                              \
    EXPECT_EQ((call), (code));                                                      \
    EXPECT_NE(std::string(lioncubGetLastErrorMessage()).find(fn), std::string::npos) \
        << lioncubGetLastErrorMessage();                                            \
  } while (0)

class BadInput : public ::testing::Test {
 protected:
  std::vector<float> g = std::vector<float>(64, 1.0f), m = std::vector<float>(64, 1.0f);
  std::vector<uint32_t> sign = std::vector<uint32_t>(16), nonzero = std::vector<uint32_t>(16);
  lioncubEncodeDesc_t desc{64, lioncubFloat32, lioncubFloat32, 0.9f, 0.99f, lioncubCodeTernary, 1.0f, 32};
  lioncubResult_t encode(const lioncubEncodeDesc_t& d) {
    return lioncubEncode(&d, g.data(), m.data(), sign.data(), nonzero.data(), nullptr, lioncubMemHost, nullptr);
  }
};

TEST_F(BadInput, Encode) {
  const auto bad = lioncubInvalidArgument;
  EXPECT_REJECTED(lioncubEncode(nullptr, g.data(), m.data(), sign.data(), nonzero.data(), nullptr,
                                lioncubMemHost, nullptr),
                  bad, "lioncubEncode");
  EXPECT_REJECTED(lioncubEncode(&desc, nullptr, m.data(), sign.data(), nonzero.data(), nullptr, lioncubMemHost, nullptr),
                  bad, "grad");
  EXPECT_REJECTED(lioncubEncode(&desc, g.data(), nullptr, sign.data(), nonzero.data(), nullptr, lioncubMemHost, nullptr),
                  bad, "momentum");
  EXPECT_REJECTED(lioncubEncode(&desc, g.data(), m.data(), nullptr, nonzero.data(), nullptr, lioncubMemHost, nullptr),
                  bad, "signPlane");
  EXPECT_REJECTED(lioncubEncode(&desc, g.data(), m.data(), sign.data(), nullptr, nullptr, lioncubMemHost, nullptr),
                  bad, "nonzeroPlane");
  EXPECT_REJECTED(lioncubEncode(&desc, reinterpret_cast<char*>(g.data()) + 1, m.data(), sign.data(), nonzero.data(),
                                nullptr, lioncubMemHost, nullptr),
                  bad, "aligned");
  EXPECT_REJECTED(lioncubEncode(&desc, g.data(), m.data(), sign.data(), nonzero.data(), nullptr,
                                lioncubMemory_t(7), nullptr),
                  bad, "memory");
  auto d = desc;
  d.gradType = lioncubDataType_t(9);
  EXPECT_REJECTED(encode(d), bad, "gradient dtype");
  d = desc;
  d.momentumType = lioncubFloat16;
  EXPECT_REJECTED(encode(d), bad, "momentum dtype");
  d = desc;
  d.beta1 = 1.5f;
  EXPECT_REJECTED(encode(d), bad, "beta1");
  d = desc;
  d.beta2 = NAN;
  EXPECT_REJECTED(encode(d), bad, "beta2");
  d = desc;
  d.ternaryBlock = 48;
  EXPECT_REJECTED(encode(d), bad, "ternaryBlock");
  d.ternaryBlock = 0;
  EXPECT_REJECTED(encode(d), bad, "ternaryBlock");
  d = desc;
  d.ternaryAlpha = -1.0f;
  EXPECT_REJECTED(encode(d), bad, "ternaryAlpha");
  d.ternaryAlpha = INFINITY;
  EXPECT_REJECTED(encode(d), bad, "ternaryAlpha");
  d = desc;
  d.code = lioncubCode_t(5);
  EXPECT_REJECTED(encode(d), bad, "code");
  d = desc;
  d.numel = SIZE_MAX;  // its packed word count must not wrap to something small
  EXPECT_REJECTED(encode(d), bad, "LIONCUB_MAX_ELEMENTS");
  EXPECT_EQ(lioncubPackedWords(SIZE_MAX), SIZE_MAX / 32 + 1);
  // Zero elements: nothing to touch, so null buffers are fine.
  d = desc;
  d.numel = 0;
  EXPECT_EQ(lioncubEncode(&d, nullptr, nullptr, nullptr, nullptr, nullptr, lioncubMemHost, nullptr), lioncubSuccess);
}

TEST_F(BadInput, VoteAndTernary) {
  const auto bad = lioncubInvalidArgument;
  std::vector<uint32_t> codes(64);
  std::vector<uint16_t> counts(64);
  std::vector<int16_t> sums(64);
  EXPECT_REJECTED(lioncubVote(codes.data(), 2, 0, 64, lioncubTieZero, 0, sign.data(), nonzero.data(),
                              lioncubMemHost, nullptr),
                  bad, "nvec");
  EXPECT_REJECTED(lioncubVote(codes.data(), 2, 40000, 64, lioncubTieZero, 0, sign.data(), nonzero.data(),
                              lioncubMemHost, nullptr),
                  bad, "nvec");
  EXPECT_REJECTED(lioncubVote(codes.data(), 1, 4, 64, lioncubTieZero, 0, sign.data(), nonzero.data(),
                              lioncubMemHost, nullptr),
                  bad, "strideWords");
  EXPECT_REJECTED(lioncubVote(nullptr, 2, 4, 64, lioncubTieZero, 0, sign.data(), nonzero.data(), lioncubMemHost,
                              nullptr),
                  bad, "codes");
  EXPECT_REJECTED(lioncubVote(codes.data(), 2, 4, 64, lioncubTieZero, 0, sign.data(), nullptr, lioncubMemHost,
                              nullptr),
                  bad, "nonzeroOut");
  EXPECT_REJECTED(lioncubVote(codes.data(), 2, 4, 64, lioncubTiePolicy_t(3), 0, sign.data(), nonzero.data(),
                              lioncubMemHost, nullptr),
                  bad, "tie");
  EXPECT_REJECTED(lioncubVote(codes.data(), 2, 4, 64, lioncubTieZero, 0, nullptr, nonzero.data(), lioncubMemHost,
                              nullptr),
                  bad, "signOut");
  EXPECT_REJECTED(lioncubVoteCount(codes.data(), 2, 4, 64, nullptr, lioncubMemHost, nullptr), bad, "counts");
  EXPECT_REJECTED(lioncubVote(codes.data(), SIZE_MAX / 32, 4, SIZE_MAX - 3, lioncubTieZero, 0, sign.data(),
                              nonzero.data(), lioncubMemHost, nullptr),
                  bad, "LIONCUB_MAX_ELEMENTS");
  EXPECT_REJECTED(lioncubVoteCount(codes.data(), 2, 4, 64, reinterpret_cast<uint16_t*>(reinterpret_cast<char*>(counts.data()) + 1),
                                   lioncubMemHost, nullptr),
                  bad, "aligned");
  EXPECT_REJECTED(lioncubTernarySum(codes.data(), nullptr, 2, 4, 64, sums.data(), lioncubMemHost, nullptr), bad,
                  "nonzeros");
  EXPECT_REJECTED(lioncubTernarySum(codes.data(), codes.data(), 2, 4, 64, nullptr, lioncubMemHost, nullptr), bad,
                  "sums");
  EXPECT_REJECTED(lioncubTernaryReencode(codes.data(), codes.data(), 2, 3, 64, lioncubTieZero, 0, sign.data(),
                                         nullptr, lioncubMemHost, nullptr),
                  bad, "nonzeroOut");
  // Odd nvec cannot tie: the nonzero plane is optional.
  EXPECT_EQ(lioncubVote(codes.data(), 2, 3, 64, lioncubTieZero, 0, sign.data(), nullptr, lioncubMemHost, nullptr),
            lioncubSuccess);
}

TEST_F(BadInput, Apply) {
  const auto bad = lioncubInvalidArgument;
  std::vector<float> p(64);
  lioncubUpdate_t u{};
  u.kind = lioncubUpdatePlanes;
  u.sign = sign.data();
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat32, p.data(), nullptr, 0.1f, 0.0f, lioncubMemHost, nullptr), bad,
                  "update");
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat16, p.data(), &u, 0.1f, 0.0f, lioncubMemHost, nullptr), bad,
                  "parameter dtype");
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat32, nullptr, &u, 0.1f, 0.0f, lioncubMemHost, nullptr), bad, "params");
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat32, p.data(), &u, -0.1f, 0.0f, lioncubMemHost, nullptr), bad, "lr");
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat32, p.data(), &u, 0.1f, NAN, lioncubMemHost, nullptr), bad,
                  "weightDecay");
  auto v = u;
  v.sign = nullptr;
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat32, p.data(), &v, 0.1f, 0.0f, lioncubMemHost, nullptr), bad,
                  "update->sign");
  v = u;
  v.kind = lioncubUpdateCounts;
  v.nvec = 0;
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat32, p.data(), &v, 0.1f, 0.0f, lioncubMemHost, nullptr), bad, "nvec");
  v.kind = lioncubUpdateKind_t(8);
  EXPECT_REJECTED(lioncubApply(64, lioncubFloat32, p.data(), &v, 0.1f, 0.0f, lioncubMemHost, nullptr), bad, "kind");
}

// Device memory without a usable GPU is an error with a message, never a crash.
TEST_F(BadInput, DeviceMemoryWithoutGpu) {
  if (lioncubCudaDeviceCount() > 0) GTEST_SKIP() << "a GPU is present; gpu_test covers device memory";
  const lioncubResult_t r = lioncubEncode(&desc, g.data(), m.data(), sign.data(), nonzero.data(), nullptr,
                                          lioncubMemDevice, nullptr);
  EXPECT_TRUE(r == lioncubNotSupported || r == lioncubCudaError) << lioncubGetErrorString(r);
  EXPECT_STRNE(lioncubGetLastErrorMessage(), "");
}

TEST(ErrorStrings, EveryCodeHasOne) {
  for (int r = 0; r < lioncubNumResults; ++r) {
    EXPECT_STRNE(lioncubGetErrorString(lioncubResult_t(r)), "unknown result code") << r;
  }
  EXPECT_STREQ(lioncubGetErrorString(lioncubResult_t(99)), "unknown result code");
}

}  // namespace
}  // namespace lioncub::test
