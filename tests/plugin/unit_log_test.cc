// The plugin's log lines as NCCL filters them (src/debug.cc: a line is printed when its level is
// at most NCCL_DEBUG's and its flags share a bit with NCCL_DEBUG_SUBSYS, whose default is
// INIT,BOOTSTRAP,ENV), and the settings that come from NCCL's variables.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "abi/common.h"
#include "auth.h"
#include "error.h"
#include "log.h"
#include "params.h"

namespace lioncub::net {
namespace {

struct Line {
  abi::ncclDebugLogLevel level;
  unsigned long flags;
  std::string file;
  int line;
  std::string text;
};

// What NCCL would print under NCCL_DEBUG=<g_level> and NCCL_DEBUG_SUBSYS=<g_mask>.
abi::ncclDebugLogLevel g_level = abi::NCCL_LOG_WARN;
unsigned long g_mask = abi::NCCL_INIT | abi::NCCL_BOOTSTRAP | abi::NCCL_ENV;
std::vector<Line> g_printed;
int g_calls = 0;

void fake_nccl_logger(abi::ncclDebugLogLevel level, unsigned long flags, const char* file,
                      int line, const char* fmt, ...) {
  ++g_calls;
  if (g_level < level || (flags & g_mask) == 0) return;  // NCCL's filter
  char buf[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  g_printed.push_back({level, flags, file, line, buf});
}

class LogTest : public testing::Test {
 protected:
  void SetUp() override {
    set_logger(fake_nccl_logger);
    g_printed.clear();
    g_calls = 0;
  }
  void TearDown() override { set_logger(nullptr); }
  static Settings load(const std::map<std::string, std::string>& env) {
    return load_settings([&](const char* name) -> const char* {
      auto it = env.find(name);
      return it == env.end() ? nullptr : it->second.c_str();
    });
  }
  static int count(const std::string& needle) {
    int n = 0;
    for (const Line& l : g_printed) n += l.text.find(needle) != std::string::npos;
    return n;
  }
};

TEST_F(LogTest, WarningPassesNcclDefaultSubsystemFilter) {
  g_level = abi::NCCL_LOG_WARN;
  g_mask = abi::NCCL_INIT | abi::NCCL_BOOTSTRAP | abi::NCCL_ENV;
  load({{"LIONCUB_NET_STREAMS", "banana"}});
  ASSERT_EQ(count("ignoring LIONCUB_NET_STREAMS"), 1);
  const Line& w = g_printed.front();
  EXPECT_EQ(w.level, abi::NCCL_LOG_WARN);
  EXPECT_EQ(w.flags, abi::NCCL_ALL);
  EXPECT_EQ(w.file, "params.cc");  // the statement that warned, not the logging helper
  EXPECT_GT(w.line, 0);
  EXPECT_EQ(w.text.rfind("NET/lioncub: ", 0), 0u) << w.text;
  // Only NET: the warning still gets through; nothing else at WARN level.
  g_printed.clear();
  g_mask = abi::NCCL_NET;
  load({{"LIONCUB_NET_STREAMS", "banana"}});
  EXPECT_EQ(count("ignoring LIONCUB_NET_STREAMS"), 1);
}

TEST_F(LogTest, SettingsLinesAreInitNetAndEnvWhenFromTheEnvironment) {
  g_level = abi::NCCL_LOG_INFO;
  g_mask = abi::NCCL_INIT | abi::NCCL_BOOTSTRAP | abi::NCCL_ENV;  // NCCL's default mask
  load({{"NCCL_SOCKET_NTHREADS", "3"}});
  bool saw_default = false, saw_env = false;
  for (const Line& l : g_printed) {
    if (l.text.find("setting threads = 3 (NCCL_SOCKET_NTHREADS)") != std::string::npos) {
      EXPECT_EQ(l.flags, abi::NCCL_INIT | abi::NCCL_NET | abi::NCCL_ENV);
      saw_env = true;
    }
    if (l.text.find("setting inline_max = 4096 (default)") != std::string::npos) {
      EXPECT_EQ(l.flags, abi::NCCL_INIT | abi::NCCL_NET);
      saw_default = true;
    }
  }
  EXPECT_TRUE(saw_env);
  EXPECT_TRUE(saw_default);
  // NCCL_DEBUG_SUBSYS=ENV alone shows the one that came from the environment, not the defaults.
  g_printed.clear();
  g_mask = abi::NCCL_ENV;
  load({{"NCCL_SOCKET_NTHREADS", "3"}});
  EXPECT_EQ(count("setting threads = 3"), 1);
  EXPECT_EQ(count("(default)"), 0);
}

TEST_F(LogTest, ErrorsCarryTheirThrowSite) {
  try {
    throw_remote("peer went away");
  } catch (const NetError& e) {
    EXPECT_NE(std::string(e.where().file_name()).find("unit_log_test.cc"), std::string::npos);
    EXPECT_EQ(e.code(), abi::ncclRemoteError);
  }
}

TEST_F(LogTest, OutOfDescriptorsSaysSoAndWhatToRaise) {
  try {
    throw_errno("accept on 127.0.0.1:1234", EMFILE);
  } catch (const NetError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("Too many open files"), std::string::npos) << what;
    EXPECT_NE(what.find("ulimit -n"), std::string::npos) << what;
    EXPECT_NE(what.find("127.0.0.1:1234"), std::string::npos) << what;
    EXPECT_EQ(e.code(), abi::ncclSystemError);
  }
}

TEST_F(LogTest, NsocksPerThreadTimesThreadsGivesStreams) {
  EXPECT_EQ(load({}).streams, 8);  // lioncub's default
  EXPECT_EQ(load({{"NCCL_NSOCKS_PERTHREAD", "4"}}).streams, 2 * 4);  // default 2 threads
  Settings s = load({{"NCCL_SOCKET_NTHREADS", "4"}, {"NCCL_NSOCKS_PERTHREAD", "4"}});
  EXPECT_EQ(s.threads, 4);
  EXPECT_EQ(s.streams, 16);
  g_printed.clear();
  EXPECT_EQ(load({{"NCCL_SOCKET_NTHREADS", "16"}, {"NCCL_NSOCKS_PERTHREAD", "8"}}).streams, 64);
  EXPECT_EQ(count("exceeds 64"), 1);
  // LIONCUB_NET_STREAMS wins; NCCL's "auto" (-2) means the default.
  EXPECT_EQ(load({{"LIONCUB_NET_STREAMS", "3"}, {"NCCL_NSOCKS_PERTHREAD", "4"}}).streams, 3);
  EXPECT_EQ(load({{"NCCL_NSOCKS_PERTHREAD", "-2"}}).streams, 8);
  EXPECT_EQ(load({{"NCCL_SOCKET_SNDBUF", "-1"}}).sndbuf, 0);
  EXPECT_EQ(load({{"NCCL_SOCKET_RCVBUF", "4M"}}).rcvbuf, 4 << 20);
  EXPECT_EQ(load({{"LIONCUB_NET_RCVBUF", "1024"}}).rcvbuf, kMinSocketBuffer);
}

TEST_F(LogTest, IgnoredNcclSettingsWarnOncePerProcess) {
  for (const char* var : ignored_nccl_settings()) {
    g_printed.clear();
    load({{var, "1"}});
    load({{var, "1"}});
    EXPECT_EQ(count(std::string(var) + " is set but has no lioncub equivalent"), 1) << var;
  }
}

TEST_F(LogTest, JobIdAndSecret) {
  EXPECT_EQ(load({}).job_hash, 0u);
  Settings s = load({{"LIONCUB_JOB_ID", "a"}, {"TORCHELASTIC_RUN_ID", "b"}});
  EXPECT_EQ(s.job_id, "a");
  EXPECT_EQ(s.job_hash, job_hash("a"));
  EXPECT_NE(job_hash("a"), job_hash("b"));
  EXPECT_EQ(load({{"TORCHELASTIC_RUN_ID", "b"}}).job_id, "b");
  EXPECT_EQ(load({{"LIONCUB_JOB_ID", ""}, {"TORCHELASTIC_RUN_ID", "b"}}).job_id, "b");
  EXPECT_EQ(load_secret(nullptr), nullptr);
  EXPECT_EQ(*load_secret("abc"), "abc");
  char path[] = "/tmp/lioncub-unit-secret-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "xyz\n", 4), 4);
  ::close(fd);
  ::chmod(path, 0600);
  EXPECT_EQ(*load_secret((std::string("@") + path).c_str()), "xyz");
  ::chmod(path, 0640);
  EXPECT_THROW(load_secret((std::string("@") + path).c_str()), NetError);
  ::unlink(path);
  EXPECT_THROW(load_secret("@/nonexistent/lioncub-secret"), NetError);
}

TEST(Auth, MacDependsOnKeyAndEveryByte) {
  if (!auth_available()) GTEST_SKIP() << "built without OpenSSL";
  uint8_t msg[64] = {};
  uint8_t a[kMacSize], b[kMacSize];
  compute_mac("key", wire::Bytes(msg, 64), {}, a);
  compute_mac("key", wire::Bytes(msg, 64), {}, b);
  EXPECT_TRUE(mac_equal(a, b));
  compute_mac("kez", wire::Bytes(msg, 64), {}, b);
  EXPECT_FALSE(mac_equal(a, b));
  for (int i = 0; i < 64; i += 7) {
    msg[i] ^= 1;
    compute_mac("key", wire::Bytes(msg, 64), {}, b);
    EXPECT_FALSE(mac_equal(a, b)) << i;
    msg[i] ^= 1;
  }
  // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?").
  const std::string data = "what do ya want for nothing?";
  compute_mac("Jefe", wire::Bytes(reinterpret_cast<const uint8_t*>(data.data()), 10),
              wire::Bytes(reinterpret_cast<const uint8_t*>(data.data()) + 10, data.size() - 10), a);
  const uint8_t want[kMacSize] = {0x5b, 0xdc, 0xc1, 0x46, 0xbf, 0x60, 0x75, 0x4e, 0x6a, 0x04, 0x24,
                                  0x26, 0x08, 0x95, 0x75, 0xc7, 0x5a, 0x00, 0x3f, 0x08, 0x9d, 0x27,
                                  0x39, 0x83, 0x9d, 0xec, 0x58, 0xb9, 0x64, 0xec, 0x38, 0x43};
  EXPECT_TRUE(mac_equal(a, want));
}

}  // namespace
}  // namespace lioncub::net
