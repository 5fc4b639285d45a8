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
