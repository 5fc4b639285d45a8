// auto's link model against hand-computed cases (collectives/link_model.h). W = ceil(n/32) plane
// words of 4 bytes; seconds = messages * latency + bytes / rate.
#include <gtest/gtest.h>

#include <cstdlib>

#include "collectives/link_model.h"

namespace lioncub::test {
namespace {

using coll::Link;

Link gbps(double g, double latency_us) {
  Link l;
  l.bytes_per_s = g * 1e9 / 8;
  l.latency_s = latency_us * 1e-6;
  return l;
}

TEST(LinkModel, SecondsByHand) {
  const Link l = gbps(10, 50);  // 1.25e9 bytes/s
  // P = 2, n = 2^20: plane = 131072 bytes.
  // allgather-vote: 1 message, 131072 bytes.
  EXPECT_NEAR(coll::modelled_seconds(lioncubAlgoAllgatherVote, 2, 1u << 20, false, lioncubTieAlternate, l),
              50e-6 + 131072 / 1.25e9, 1e-12);
  // alltoall-vote, tie alternate: 2 messages, (1+1) * 131072 / 2 bytes.
  EXPECT_NEAR(coll::modelled_seconds(lioncubAlgoAlltoallVote, 2, 1u << 20, false, lioncubTieAlternate, l),
              100e-6 + 131072 / 1.25e9, 1e-12);
  // alltoall-vote, tie zero, even P: the nonzero plane too, (1+2) * 131072 / 2 bytes.
  EXPECT_NEAR(coll::modelled_seconds(lioncubAlgoAlltoallVote, 2, 1u << 20, false, lioncubTieZero, l),
              100e-6 + 196608 / 1.25e9, 1e-12);
  // packed-sum, P = 2: 2-bit lanes, 2 * 2 * 131072 / 2 bytes.
  EXPECT_NEAR(coll::modelled_seconds(lioncubAlgoPackedSum, 2, 1u << 20, false, lioncubTieAlternate, l),
              100e-6 + 262144 / 1.25e9, 1e-12);
  // quant2-rs, P = 4, tie zero: (2+2) * 131072 * 3/4 bytes, 6 messages.
  EXPECT_NEAR(coll::modelled_seconds(lioncubAlgoQuant2Rs, 4, 1u << 20, true, lioncubTieZero, l),
              300e-6 + 393216 / 1.25e9, 1e-12);
  // Wrong code for the algorithm, or lanes that would overflow: cannot run.
  EXPECT_LT(coll::modelled_seconds(lioncubAlgoQuant2Rs, 4, 64, false, lioncubTieZero, l), 0);
  EXPECT_LT(coll::modelled_seconds(lioncubAlgoAllgatherVote, 4, 64, true, lioncubTieZero, l), 0);
  EXPECT_LT(coll::modelled_seconds(lioncubAlgoPackedSum, 256, 64, false, lioncubTieZero, l), 0);
}

TEST(LinkModel, Choices) {
  const Link fast = gbps(10, 50), slow = gbps(0.5, 50);
  // P = 2: allgather-vote sends no more bytes and one message fewer.
  EXPECT_EQ(coll::choose_sign_algorithm(2, 1u << 20, false, lioncubTieAlternate, fast), lioncubAlgoAllgatherVote);
  // P = 3, n = 64 (8 bytes a plane): latency decides, allgather-vote has 2 messages, alltoall 4.
  EXPECT_EQ(coll::choose_sign_algorithm(3, 64, false, lioncubTieZero, fast), lioncubAlgoAllgatherVote);
  // P = 3, n = 2^22 (524288 bytes a plane): allgather 2 * 524288 = 1048576 bytes (839 us + 100 us)
  // vs alltoall 2 * 524288 * 2/3 = 349525 bytes (559 us + 200 us).
  EXPECT_EQ(coll::choose_sign_algorithm(3, 1u << 22, false, lioncubTieZero, fast), lioncubAlgoAlltoallVote);
  // P = 8 at 500 Mbit/s, n = 2^22: alltoall-vote 3 * 524288 * 7/8 bytes = 22 ms vs allgather-vote
  // 7 * 524288 bytes = 58.7 ms vs packed-sum (4-bit lanes) 2 * 4 * 524288 * 7/8 bytes = 58.7 ms.
  EXPECT_EQ(coll::choose_sign_algorithm(8, 1u << 22, false, lioncubTieZero, slow), lioncubAlgoAlltoallVote);
  // Crossover at P = 3 with 50 us messages on 10 Gbit/s: allgather-vote costs 100 us + 2B/rate,
  // alltoall-vote 200 us + (4/3)B/rate, equal at B = 100e-6 * 1.25e9 * 3/2 = 187500 bytes a plane
  // (n = 1.5e6): below it allgather-vote, above it alltoall-vote.
  EXPECT_EQ(coll::choose_sign_algorithm(3, 1400000, false, lioncubTieAlternate, fast), lioncubAlgoAllgatherVote);
  EXPECT_EQ(coll::choose_sign_algorithm(3, 1600000, false, lioncubTieAlternate, fast), lioncubAlgoAlltoallVote);
  // Ternary: quant2-rs (3 or 4 planes) always beats packed-sum (2w >= 4 planes, same messages).
  EXPECT_EQ(coll::choose_sign_algorithm(2, 1u << 20, true, lioncubTieZero, fast), lioncubAlgoQuant2Rs);
  EXPECT_EQ(coll::choose_sign_algorithm(5, 1u << 20, true, lioncubTieAlternate, slow), lioncubAlgoQuant2Rs);
  // One rank: nothing on the wire, the first candidate.
  EXPECT_EQ(coll::choose_sign_algorithm(1, 1000, false, lioncubTieZero, fast), lioncubAlgoAllgatherVote);
}

TEST(LinkModel, RateFromEnvironmentOrPlugin) {
  ::unsetenv("LIONCUB_LINK_RATE");
  ::unsetenv("LIONCUB_LINK_GBPS");
  ::unsetenv("LIONCUB_LINK_LATENCY_US");
  EXPECT_DOUBLE_EQ(coll::link_from_env(0).bytes_per_s, 10e9 / 8);   // default
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).bytes_per_s, 500e6 / 8);  // the plugin's speed
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).latency_s, 50e-6);
  ::setenv("LIONCUB_LINK_RATE", "2500mbit", 1);
  ::setenv("LIONCUB_LINK_LATENCY_US", "7.5", 1);
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).bytes_per_s, 2500e6 / 8);  // the environment wins
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).latency_s, 7.5e-6);
  ::setenv("LIONCUB_LINK_RATE", "1gbit", 1);
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).bytes_per_s, 1e9 / 8);
  ::setenv("LIONCUB_LINK_RATE", "junk", 1);
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).bytes_per_s, 500e6 / 8);
  ::unsetenv("LIONCUB_LINK_RATE");
  ::unsetenv("LIONCUB_LINK_LATENCY_US");
}

// The old name in Gbit/s still works (with a deprecation warning); LIONCUB_LINK_RATE wins.
TEST(LinkModel, DeprecatedGbpsAlias) {
  ::unsetenv("LIONCUB_LINK_RATE");
  ::setenv("LIONCUB_LINK_GBPS", "25", 1);
  testing::internal::CaptureStderr();
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).bytes_per_s, 25e9 / 8);
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("LIONCUB_LINK_GBPS is deprecated"), std::string::npos) << err;
  ::setenv("LIONCUB_LINK_RATE", "10gbit", 1);
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).bytes_per_s, 10e9 / 8);
  ::unsetenv("LIONCUB_LINK_RATE");
  ::setenv("LIONCUB_LINK_GBPS", "junk", 1);
  EXPECT_DOUBLE_EQ(coll::link_from_env(500).bytes_per_s, 500e6 / 8);
  ::unsetenv("LIONCUB_LINK_GBPS");
}

}  // namespace
}  // namespace lioncub::test
