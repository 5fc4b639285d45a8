// The library's settings table (common/settings.h) and launcher detection (common/launcher.h):
// every malformed value warns once naming the variable and falls back as documented; timeouts
// take 0 as "no limit" and are clamped before any conversion.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "common/error.h"
#include "common/launcher.h"
#include "common/settings.h"

namespace lioncub::test {
namespace {

constexpr double kMaxSeconds = 2147483647.0 / 1000.0;

// The seconds of LIONCUB_TIMEOUT_MS set to `text`, and what was printed on stderr.
std::pair<double, std::string> timeout_of(const char* text) {
  ::setenv("LIONCUB_TIMEOUT_MS", text, 1);
  testing::internal::CaptureStderr();
  const double s = setting_seconds("LIONCUB_TIMEOUT_MS");
  std::string err = testing::internal::GetCapturedStderr();
  ::unsetenv("LIONCUB_TIMEOUT_MS");
  return {s, err};
}

TEST(Settings, TimeoutsParseWarnAndClamp) {
  ::unsetenv("LIONCUB_TIMEOUT_MS");
  EXPECT_DOUBLE_EQ(setting_seconds("LIONCUB_TIMEOUT_MS"), 300.0);
  EXPECT_DOUBLE_EQ(timeout_of("2500").first, 2.5);
  EXPECT_DOUBLE_EQ(timeout_of("500ms").first, 0.5);
  EXPECT_DOUBLE_EQ(timeout_of("30s").first, 30.0);
  EXPECT_DOUBLE_EQ(timeout_of(" 7 ").first, 0.007);
  EXPECT_DOUBLE_EQ(timeout_of("0").first, kMaxSeconds);  // no limit
  // Past the largest int of milliseconds: clamped, with a warning.
  auto [big, big_err] = timeout_of("99999999999999");
  EXPECT_DOUBLE_EQ(big, kMaxSeconds);
  EXPECT_NE(big_err.find("LIONCUB_TIMEOUT_MS"), std::string::npos) << big_err;
  // Malformed: the default (300 s), and a warning naming the variable and the value.
  for (const char* bad : {"-1", "abc", "5 min", "1e999", "ms", "-0"}) {
    auto [s, err] = timeout_of(bad);
    EXPECT_DOUBLE_EQ(s, 300.0) << bad;
    EXPECT_NE(err.find("LIONCUB_TIMEOUT_MS=\"" + std::string(bad) + "\""), std::string::npos)
        << bad << ": " << err;
  }
  // Each warning is printed once.
  EXPECT_EQ(timeout_of("abc").second, "");
}

TEST(Settings, CompatibilityEnvMs) {
  ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "1500", 1);
  EXPECT_EQ(env_ms("LIONCUB_RENDEZVOUS_TIMEOUT_MS", 1), 1500);
  ::unsetenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS");
  EXPECT_EQ(env_ms("LIONCUB_RENDEZVOUS_TIMEOUT_MS", 1), 300000);  // the table's default
  EXPECT_EQ(env_ms("LIONCUB_TEST_UNLISTED_MS", 42), 42);
}

TEST(Settings, Flags) {
  ::unsetenv("LIONCUB_CHECK_ARGS");
  EXPECT_FALSE(setting_flag("LIONCUB_CHECK_ARGS"));
  ::setenv("LIONCUB_CHECK_ARGS", "1", 1);
  EXPECT_TRUE(setting_flag("LIONCUB_CHECK_ARGS"));
  ::setenv("LIONCUB_CHECK_ARGS", "0", 1);
  EXPECT_FALSE(setting_flag("LIONCUB_CHECK_ARGS"));
  ::setenv("LIONCUB_CHECK_ARGS", "yes", 1);
  testing::internal::CaptureStderr();
  EXPECT_FALSE(setting_flag("LIONCUB_CHECK_ARGS"));
  const std::string err = testing::internal::GetCapturedStderr();
  EXPECT_NE(err.find("LIONCUB_CHECK_ARGS=\"yes\""), std::string::npos) << err;
  ::unsetenv("LIONCUB_CHECK_ARGS");
}

// tc's units, as the benchmarks and scripts/cluster.sh take them (bytes per second).
TEST(Settings, Rates) {
  EXPECT_DOUBLE_EQ(*parse_rate("1gbit"), 125e6);
  EXPECT_DOUBLE_EQ(*parse_rate("2500mbit"), 312.5e6);
  EXPECT_DOUBLE_EQ(*parse_rate("10gbit"), 1.25e9);
  EXPECT_DOUBLE_EQ(*parse_rate("800"), 100.0);
  EXPECT_DOUBLE_EQ(*parse_rate("125mbps"), 125e6);
  EXPECT_DOUBLE_EQ(*parse_rate("1kibit"), 128.0);
  for (const char* bad : {"", "0", "-1gbit", "fast", "10gb", "10 gbit"}) {
    EXPECT_FALSE(parse_rate(bad).has_value()) << bad;
  }
}

TEST(Settings, EveryEntryIsDescribed) {
  const auto& specs = setting_specs();
  ASSERT_FALSE(specs.empty());
  const auto report = describe_settings();
  ASSERT_EQ(report.size(), specs.size());
  for (const SettingReport& r : report) {
    EXPECT_EQ(std::string(r.spec->name).rfind("LIONCUB_", 0), 0u) << r.spec->name;
    EXPECT_GT(std::string(r.spec->doc).size(), 10u) << r.spec->name;
  }
}

// Scoped environment for the launcher tests: the named variables unset, restored after.
class CleanLauncherEnv {
 public:
  CleanLauncherEnv() {
    for (const char* v : kVars) {
      const char* x = std::getenv(v);
      saved_.push_back(x ? std::make_pair(true, std::string(x)) : std::make_pair(false, std::string()));
      ::unsetenv(v);
    }
  }
  ~CleanLauncherEnv() {
    for (size_t i = 0; i < std::size(kVars); ++i) {
      if (saved_[i].first) ::setenv(kVars[i], saved_[i].second.c_str(), 1);
      else ::unsetenv(kVars[i]);
    }
  }

 private:
  static constexpr const char* kVars[] = {
      "LIONCUB_RANK", "LIONCUB_WORLD_SIZE", "LIONCUB_ROOT", "RANK", "WORLD_SIZE", "MASTER_ADDR",
      "MASTER_PORT", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID", "SLURM_NTASKS"};
  std::vector<std::pair<bool, std::string>> saved_;
};

TEST(Launcher, EachLauncherAndItsErrors) {
  CleanLauncherEnv clean;
  try {
    launch_env(32767);
    ADD_FAILURE() << "no launcher: want an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.code, lioncubInvalidArgument);
    EXPECT_NE(std::string(e.what()).find("LIONCUB_RANK"), std::string::npos) << e.what();
  }
  ::setenv("SLURM_PROCID", "3", 1);
  ::setenv("SLURM_NTASKS", "4", 1);
  ::setenv("LIONCUB_ROOT", "10.0.0.1:29500", 1);
  LaunchEnv e = launch_env(32767);
  EXPECT_EQ(e.rank, 3);
  EXPECT_EQ(e.size, 4);
  EXPECT_EQ(e.root, "10.0.0.1:29500");
  EXPECT_EQ(e.source, "SLURM_PROCID/SLURM_NTASKS");
  ::setenv("RANK", "1", 1);  // torchrun comes before Slurm
  ::setenv("WORLD_SIZE", "2", 1);
  ::unsetenv("LIONCUB_ROOT");
  ::setenv("MASTER_ADDR", "::1", 1);
  ::setenv("MASTER_PORT", "29400", 1);
  e = launch_env(32767);
  EXPECT_EQ(e.rank, 1);
  EXPECT_EQ(e.root, "[::1]:29400");
  ::setenv("RANK", "2", 1);  // rank >= size
  EXPECT_THROW(launch_env(32767), Error);
  ::setenv("RANK", "1x", 1);
  EXPECT_THROW(launch_env(32767), Error);
  ::setenv("RANK", "1", 1);
  EXPECT_THROW(launch_env(1), Error);  // more ranks than the limit
  ::unsetenv("MASTER_ADDR");
  try {
    launch_env(32767);
    ADD_FAILURE() << "no root: want an error";
  } catch (const Error& err) {
    EXPECT_NE(std::string(err.what()).find("LIONCUB_ROOT"), std::string::npos) << err.what();
  }
}

// Codes that can only come from the wire never read as success or as a value outside the enum;
// control characters from a peer's message never reach lioncubGetLastErrorMessage.
TEST(ErrorStory, WireCodesAndControlCharacters) {
  for (int code : {0, -3, 10, 200}) {
    const lioncubResult_t rc = c_api("test", [&]() -> lioncubResult_t {
      throw Error(static_cast<lioncubResult_t>(code), "bad\x1b[31m\nreason\x7f");
    });
    EXPECT_EQ(rc, lioncubRemoteError) << code;
    EXPECT_STREQ(lioncubGetLastErrorMessage(), "test: bad?[31m?reason?");
  }
  EXPECT_EQ(c_api("test", []() -> lioncubResult_t { raise(lioncubTimeout, "t"); }), lioncubTimeout);
  EXPECT_STREQ(lioncubGetLastErrorMessage(), "test: t");
}

}  // namespace
}  // namespace lioncub::test
