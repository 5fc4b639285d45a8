// The optimizer's pieces that need no ranks: the bit shifts (the host twin of the device kernels,
// optimizer/bit_shift.h), the automatic bucket size, the configuration header checks and the
// agreement's messages (optimizer/config.h).
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "harness.h"
#include "lioncub/lioncub.h"
#include "optimizer/bit_shift.h"
#include "optimizer/config.h"

namespace lioncub::lion {
namespace {

bool get_bit(const std::vector<uint32_t>& v, size_t i) { return (v[i / 32] >> (i % 32)) & 1u; }

std::vector<uint32_t> random_words(size_t n, uint64_t seed) {
  std::vector<uint32_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = uint32_t(test::splitmix64(seed * 1000003u + i));
  return v;
}

// insert_bits against a bit-by-bit reference: the inserted bits land at [bit, bit + len), the
// bits below `bit` in its word are kept, and nothing outside the touched words changes.
TEST(LionBitShift, InsertMatchesBitByBitReferenceAtOddOffsets) {
  for (size_t bit : {1u, 5u, 31u, 33u, 63u, 64u, 95u, 100u}) {
    for (size_t len : {1u, 2u, 31u, 32u, 33u, 63u, 64u, 65u, 97u, 300u}) {
      const size_t W = (bit + len) / 32 + 3;
      std::vector<uint32_t> plane = random_words(W, bit * 7 + len);
      std::vector<uint32_t> src = random_words((len + 31) / 32, bit + len * 13);
      if (len % 32 != 0) src.back() &= (1u << (len % 32)) - 1u;  // pad bits 0, as encode leaves them
      const std::vector<uint32_t> before = plane;
      insert_bits(plane.data(), bit, src.data(), len);
      for (size_t i = 0; i < len; ++i) {
        ASSERT_EQ(get_bit(plane, bit + i), get_bit(src, i)) << "bit " << bit << " len " << len << " i " << i;
      }
      for (size_t i = (bit / 32) * 32; i < bit; ++i) {
        ASSERT_EQ(get_bit(plane, i), get_bit(before, i)) << "kept bit " << i;
      }
      const size_t last = (bit + len - 1) / 32;
      for (size_t k = 0; k < W; ++k) {
        if (k < bit / 32 || k > last) {
          ASSERT_EQ(plane[k], before[k]) << "word " << k << " touched";
        }
      }
    }
  }
}

TEST(LionBitShift, ExtractMatchesBitByBitReferenceAndZeroesPadBits) {
  for (size_t bit : {0u, 1u, 7u, 31u, 32u, 45u, 127u}) {
    for (size_t len : {1u, 3u, 32u, 33u, 64u, 70u, 257u}) {
      const std::vector<uint32_t> plane = random_words((bit + len) / 32 + 2, bit * 3 + len);
      std::vector<uint32_t> dst((len + 31) / 32 + 1, 0xdeadbeefu);
      extract_bits(plane.data(), bit, len, dst.data());
      for (size_t i = 0; i < len; ++i) {
        ASSERT_EQ(get_bit(dst, i), get_bit(plane, bit + i)) << "bit " << bit << " len " << len << " i " << i;
      }
      for (size_t i = len; i < (len + 31) / 32 * 32; ++i) ASSERT_FALSE(get_bit(dst, i)) << "pad bit " << i;
      EXPECT_EQ(dst.back(), 0xdeadbeefu) << "wrote past the last word";
    }
  }
}

// Pieces laid end to end through the twin functions rebuild the plane; extracting them again
// gives each piece back (what encode + apply do with tensors that start inside a word).
TEST(LionBitShift, PiecesRoundTripThroughAFlatPlane) {
  const std::vector<size_t> lens = {37, 1, 95, 64, 3, 200, 31};
  size_t total = 0;
  for (size_t l : lens) total += l;
  std::vector<uint32_t> plane((total + 31) / 32, 0);
  std::vector<std::vector<uint32_t>> srcs;
  size_t at = 0;
  for (size_t p = 0; p < lens.size(); ++p) {
    std::vector<uint32_t> s = random_words((lens[p] + 31) / 32, 77 + p);
    if (lens[p] % 32 != 0) s.back() &= (1u << (lens[p] % 32)) - 1u;
    if (at % 32 == 0) {
      std::memcpy(plane.data() + at / 32, s.data(), s.size() * 4);
    } else {
      insert_bits(plane.data(), at, s.data(), lens[p]);
    }
    srcs.push_back(s);
    at += lens[p];
  }
  at = 0;
  for (size_t p = 0; p < lens.size(); ++p) {
    std::vector<uint32_t> got(srcs[p].size());
    extract_bits(plane.data(), at, lens[p], got.data());
    EXPECT_EQ(got, srcs[p]) << "piece " << p << " at bit " << at;
    at += lens[p];
  }
}

TEST(LionAutoBucket, HostIsOneMiBDeviceFollowsTheLinkModel) {
  coll::Link link;  // 10 Gbit/s, 50 us
  EXPECT_EQ(auto_bucket_bytes(lioncubMemHost, link, 4, size_t(1) << 30), size_t(1) << 20);
  // 8 latencies of 50 us at 1.25 GB/s carry 500 KB: 4e6 1-bit codes, 16e6 bytes of fp32 -> 15 MiB.
  const double elements = kAutoLatencies * link.latency_s * link.bytes_per_s * 8.0;
  const size_t want = size_t(elements * 4) / (1u << 20) * (1u << 20);
  EXPECT_EQ(auto_bucket_bytes(lioncubMemDevice, link, 4, size_t(1) << 30), want);
  EXPECT_EQ(want, size_t(15) << 20);
  // A fast link with little latency: the 1 MiB floor; a slow one with much: the 64 MiB cap.
  EXPECT_EQ(auto_bucket_bytes(lioncubMemDevice, coll::Link{1e9, 1e-6}, 4, size_t(1) << 30), size_t(1) << 20);
  EXPECT_EQ(auto_bucket_bytes(lioncubMemDevice, coll::Link{1e11, 1e-3}, 2, size_t(1) << 34), size_t(64) << 20);
  // At most a quarter of the parameters (whole MiB), never below 1 MiB.
  EXPECT_EQ(auto_bucket_bytes(lioncubMemDevice, link, 4, size_t(3) << 20), size_t(3) << 20);
  EXPECT_EQ(auto_bucket_bytes(lioncubMemDevice, link, 4, 1000), size_t(1) << 20);
}

TEST(LionConfigHeader, DefaultFillsSizeMagicVersion) {
  lioncubLionConfig_t cfg;
  std::memset(&cfg, 0xab, sizeof cfg);
  ASSERT_EQ(lioncubLionConfigDefault(&cfg), lioncubSuccess);
  EXPECT_EQ(cfg.size, sizeof(lioncubLionConfig_t));
  EXPECT_EQ(cfg.magic, LIONCUB_LION_CONFIG_MAGIC);
  EXPECT_EQ(cfg.version, LIONCUB_LION_CONFIG_VERSION);
  EXPECT_EQ(cfg.bucketBytes, LIONCUB_LION_BUCKET_AUTO);
  EXPECT_NO_THROW(check_config(&cfg, lioncubFloat32, 1));
}

TEST(LionConfigHeader, MissingOrForeignHeaderIsRejectedWithAMessage) {
  lioncubComm_t comm = nullptr;
  ASSERT_EQ(lioncubCommInitHost(&comm, 1, 0, nullptr), lioncubSuccess);
  struct Case {
    const char* name;
    void (*edit)(lioncubLionConfig_t*);
    const char* says;
  } cases[] = {
      {"zeroed (not from Default)", [](lioncubLionConfig_t* c) { std::memset(c, 0, sizeof *c); },
       "not initialized by lioncubLionConfigDefault"},
      {"magic", [](lioncubLionConfig_t* c) { c->magic ^= 1u; }, "not initialized by lioncubLionConfigDefault"},
      {"version", [](lioncubLionConfig_t* c) { c->version = LIONCUB_LION_CONFIG_VERSION + 1; }, "version"},
      {"size", [](lioncubLionConfig_t* c) { c->size -= 8; }, "size"},
  };
  for (const Case& k : cases) {
    lioncubLionConfig_t cfg;
    lioncubLionConfigDefault(&cfg);
    k.edit(&cfg);
    lioncubLion_t opt = nullptr;
    EXPECT_EQ(lioncubLionCreate(&opt, comm, 100, lioncubFloat32, &cfg), lioncubInvalidArgument) << k.name;
    EXPECT_EQ(opt, nullptr);
    const std::string msg = lioncubGetLastErrorMessage();
    EXPECT_NE(msg.find(k.says), std::string::npos) << k.name << ": " << msg;
    EXPECT_NE(msg.find("lioncubLionCreate"), std::string::npos) << msg;
  }
  lioncubCommDestroy(comm);
}

lion::Setup two_tensor_setup() {
  lion::Setup s;
  s.cfg = default_config();
  s.numels = {100, 37};
  s.total = 137;
  s.sync_tensor = {1, 1};
  s.bucket = 256;
  return s;
}

TEST(LionAgreementMessage, NamesTheFieldAndTheRanksThatDiffer) {
  const lion::Setup s = two_tensor_setup();
  std::vector<AgreeRecord> all(4, make_record(s));
  EXPECT_EQ(describe_disagreement(all.data(), 4), "");

  lion::Setup lr = s;
  lr.cfg.lr = 0.5f;
  all[3] = make_record(lr);
  std::string m = describe_disagreement(all.data(), 4);
  EXPECT_NE(m.find("lr differs between ranks: rank 0 has 9.99999975e-05, rank 3 has 0.5"), std::string::npos) << m;

  lion::Setup sizes = s;
  sizes.numels = {37, 100};  // same numel and count, other sizes
  all[1] = make_record(sizes);
  all[2] = make_record(sizes);
  m = describe_disagreement(all.data(), 4);
  EXPECT_NE(m.find("tensor sizes (hash) differs between ranks"), std::string::npos) << m;
  EXPECT_NE(m.find("rank 1 has"), std::string::npos) << m;
  EXPECT_NE(m.find("(and 1 more ranks differ)"), std::string::npos) << m;
  EXPECT_EQ(m.find("numel differs"), std::string::npos) << m;
  EXPECT_LT(m.find("tensor sizes"), m.find("lr differs")) << "fields in record order: " << m;

  lion::Setup algo = s;
  algo.cfg.algorithm = lioncubAlgoQuant2Rs;
  algo.cfg.tie = lioncubTieAlternate;
  algo.bucket = 512;
  all.assign(2, make_record(s));
  all[1] = make_record(algo);
  m = describe_disagreement(all.data(), 2);
  EXPECT_NE(m.find("bucket elements differs between ranks: rank 0 has 256, rank 1 has 512"), std::string::npos) << m;
  EXPECT_NE(m.find("algorithm differs"), std::string::npos) << m;
  EXPECT_NE(m.find("tie differs"), std::string::npos) << m;
}

}  // namespace
}  // namespace lioncub::lion
