#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "interfaces.h"
#include "params.h"

namespace lioncub::net {
namespace {

TEST(Params, ParsesIntegersWithSuffixesAndBounds) {
  EXPECT_EQ(parse_int_setting("8", 1, 64), 8);
  EXPECT_EQ(parse_int_setting(" 16 ", 1, 64), 16);
  EXPECT_EQ(parse_int_setting("0x10", 1, 64), 16);
  EXPECT_EQ(parse_int_setting("64K", 0, 1 << 30), 65536);
  EXPECT_EQ(parse_int_setting("2m", 0, 1 << 30), 2 << 20);
  EXPECT_EQ(parse_int_setting("1G", 0, 1 << 30), 1 << 30);
  EXPECT_FALSE(parse_int_setting("", 0, 10));
  EXPECT_FALSE(parse_int_setting("-1", -5, 10));
  EXPECT_FALSE(parse_int_setting("65", 1, 64));
  EXPECT_FALSE(parse_int_setting("0", 1, 64));
  EXPECT_FALSE(parse_int_setting("8x", 1, 64));
  EXPECT_FALSE(parse_int_setting("K", 0, 10));
  EXPECT_FALSE(parse_int_setting("99999999999999999999", 0, 10));
  EXPECT_FALSE(parse_int_setting("9000000000000000G", 0, INT64_MAX));
}

TEST(Params, RegistryNamesAreUniqueAndDefaultsInBounds) {
  std::set<std::string> names, envs;
  for (const IntParamSpec& s : int_param_specs()) {
    EXPECT_TRUE(names.insert(s.name).second) << s.name;
    EXPECT_TRUE(envs.insert(s.env).second) << s.env;
    EXPECT_EQ(std::string(s.env).rfind("LIONCUB_NET_", 0), 0u) << s.env;
    EXPECT_GE(s.def, s.min) << s.name;
    EXPECT_LE(s.def, s.max) << s.name;
  }
}

TEST(Params, EnvironmentThenNcclFallbackThenDefault) {
  std::map<std::string, std::string> env;
  auto get = [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  };
  Settings s = load_settings(get);
  EXPECT_EQ(s.streams, 8);
  EXPECT_EQ(s.threads, 2);
  EXPECT_EQ(s.ifname_source, "default");
  env["NCCL_SOCKET_NTHREADS"] = "4";
  env["NCCL_SOCKET_IFNAME"] = "eth";
  s = load_settings(get);
  EXPECT_EQ(s.threads, 4);
  EXPECT_EQ(s.ifname, "eth");
  EXPECT_EQ(s.ifname_source, "NCCL_SOCKET_IFNAME");
  env["LIONCUB_NET_THREADS"] = "3";
  env["LIONCUB_NET_IFNAME"] = "=lo";
  env["LIONCUB_NET_STREAMS"] = "banana";  // invalid: default kept
  s = load_settings(get);
  EXPECT_EQ(s.threads, 3);
  EXPECT_EQ(s.ifname, "=lo");
  EXPECT_EQ(s.streams, 8);
}

TEST(Interfaces, FilterSyntaxFollowsNccl) {
  EXPECT_TRUE(ifname_matches("", "eth0"));
  EXPECT_TRUE(ifname_matches("eth", "eth0"));
  EXPECT_TRUE(ifname_matches("ib,eth", "eth1"));
  EXPECT_FALSE(ifname_matches("ib,eth", "lo"));
  EXPECT_FALSE(ifname_matches("^eth", "eth0"));
  EXPECT_TRUE(ifname_matches("^eth,docker", "lo"));
  EXPECT_TRUE(ifname_matches("=eth0", "eth0"));
  EXPECT_FALSE(ifname_matches("=eth0", "eth01"));
  EXPECT_FALSE(ifname_matches("^=lo", "lo"));
}

TEST(Interfaces, LoopbackFilterFindsLoopback) {
  auto devs = detect_devices("=lo", 0);
  ASSERT_EQ(devs.size(), 1u);
  EXPECT_EQ(devs[0].name, "lo");
  EXPECT_EQ(devs[0].speed_mbps, 10000);  // lo has no speed: NCCL's default
  EXPECT_EQ(detect_devices("=lo", 2500)[0].speed_mbps, 2500);
  EXPECT_TRUE(detect_devices("=no-such-interface", 0).empty());
}

}  // namespace
}  // namespace lioncub::net

namespace lioncub::net {
namespace {

TEST(FaultSpec, ParsesEveryKindAndRejectsJunk) {
  std::string why;
  auto rules = parse_fault_spec("short:max=7,seed=3; stall:side=send,stream=c,after=1K;"
                                "reset:stream=2,after=100,comm=1;delay:side=recv,ms=40,every=2",
                                &why);
  ASSERT_TRUE(rules) << why;
  ASSERT_EQ(rules->size(), 4u);
  EXPECT_EQ((*rules)[0].kind, FaultKind::kShort);
  EXPECT_EQ((*rules)[0].max, 7u);
  EXPECT_EQ((*rules)[0].stream, -2);
  EXPECT_EQ((*rules)[1].stream, -1);
  EXPECT_EQ((*rules)[1].after, 1024u);
  EXPECT_EQ((*rules)[1].side, FaultSide::kSend);
  EXPECT_EQ((*rules)[2].comm, 1);
  EXPECT_EQ((*rules)[3].ms, 40);
  EXPECT_EQ((*rules)[3].every, 2u);
  for (const char* bad : {"", ";", "boom", "short:max=0", "short:after=3", "stall:stream=64",
                          "reset:side=both", "delay:ms=-1", "delay:every=0", "short:max",
                          "stall:after=1x", "short:max=99999999999999999999"}) {
    EXPECT_FALSE(parse_fault_spec(bad, &why)) << bad;
    EXPECT_FALSE(why.empty()) << bad;
  }
  EXPECT_EQ(load_fault_plan(nullptr), nullptr);
  EXPECT_EQ(load_fault_plan("nonsense"), nullptr);
  EXPECT_NE(load_fault_plan("short"), nullptr);
}

// Short I/O covers every size from 1 to max; stall and reset stop at exactly `after` bytes.
TEST(FaultSpec, StreamFaultClipsStallsAndResets) {
  FaultPlan plan;
  plan.text = "t";
  plan.rules = *parse_fault_spec("short:max=64,seed=9", nullptr);
  auto f = StreamFault::make(plan, FaultSide::kSend, 0, 0);
  ASSERT_TRUE(f);
  std::vector<bool> seen(65, false);
  for (int i = 0; i < 20000; ++i) {
    const uint64_t n = f->clip(1000);
    ASSERT_GE(n, 1u);
    ASSERT_LE(n, 64u);
    seen[n] = true;
  }
  for (int n = 1; n <= 64; ++n) EXPECT_TRUE(seen[n]) << n;
  EXPECT_EQ(f->clip(0), 0u);
  EXPECT_FALSE(StreamFault::make(plan, FaultSide::kSend, 0, 0) == nullptr);

  plan.rules = *parse_fault_spec("stall:side=recv,stream=1,after=10;reset:stream=c,after=5,comm=2", nullptr);
  EXPECT_EQ(StreamFault::make(plan, FaultSide::kSend, 1, 0), nullptr);  // other side
  EXPECT_EQ(StreamFault::make(plan, FaultSide::kRecv, 0, 0), nullptr);  // other stream
  EXPECT_EQ(StreamFault::make(plan, FaultSide::kSend, -1, 1), nullptr); // other comm
  auto stall = StreamFault::make(plan, FaultSide::kRecv, 1, 0);
  ASSERT_TRUE(stall);
  EXPECT_EQ(stall->clip(100), 10u);
  EXPECT_FALSE(stall->moved(10));
  EXPECT_EQ(stall->clip(100), 0u);
  EXPECT_TRUE(stall->blocked(0));
  auto reset = StreamFault::make(plan, FaultSide::kSend, -1, 2);
  ASSERT_TRUE(reset);
  EXPECT_EQ(reset->clip(100), 5u);
  EXPECT_TRUE(reset->moved(5));
}

}  // namespace
}  // namespace lioncub::net
