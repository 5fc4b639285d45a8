// Job scoping, the shared secret, fd floods and lying sizes through the C ABI (issue 12's
// plugin side). Settings are read at every init and a listener keeps the ones it was made with,
// so one process can play two jobs: listen under one environment, connect under another.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "auth.h"
#include "handle.h"
#include "harness.h"
#include "hello.h"
#include "params.h"

namespace lioncub::test {
namespace {

using namespace abi;

// Sets variables for one test and restores them.
class Env {
 public:
  Env& set(const char* k, const std::string& v) {
    save(k);
    ::setenv(k, v.c_str(), 1);
    return *this;
  }
  Env& unset(const char* k) {
    save(k);
    ::unsetenv(k);
    return *this;
  }
  ~Env() {  // newest first, so a variable set twice gets its first saved value back
    for (auto it = saved_.rbegin(); it != saved_.rend(); ++it) {
      if (it->had) ::setenv(it->k.c_str(), it->v.c_str(), 1);
      else ::unsetenv(it->k.c_str());
    }
    // The settings snapshot is the last init's: take one under the restored environment, so
    // the next test (and the legacy tables, which do not init again) see clean settings.
    void* ctx = nullptr;
    if (net()->init(&ctx, 99, nullptr, nullptr, nullptr) == ncclSuccess) net()->finalize(ctx);
  }

 private:
  void save(const char* k) {
    const char* v = ::getenv(k);
    saved_.push_back({k, v ? v : "", v != nullptr});
  }
  struct Saved {
    std::string k, v;
    bool had;
  };
  std::vector<Saved> saved_;
};

struct Outcome {
  ncclResult_t connect = ncclSuccess;
  ncclResult_t accept = ncclSuccess;
  bool connected = false;
  double seconds = 0;
};

// Listens under `listen_env`, then connects under `connect_env` (each applied before an init),
// alternating connect and accept until both have a comm, one fails, or 5 s pass.
Outcome try_pair(const std::vector<std::pair<const char*, std::string>>& listen_env,
                 const std::vector<std::pair<const char*, std::string>>& connect_env) {
  Outcome o;
  Env env;
  for (const char* k : {"LIONCUB_JOB_ID", "TORCHELASTIC_RUN_ID", "LIONCUB_SECRET"}) env.unset(k);
  for (auto& [k, v] : listen_env) env.set(k, v);
  driver::Context lctx(net(), 1);
  driver::Handle h;
  void* lc = driver::listen(net(), lctx.get(), 0, &h);
  for (const char* k : {"LIONCUB_JOB_ID", "TORCHELASTIC_RUN_ID", "LIONCUB_SECRET"}) env.unset(k);
  for (auto& [k, v] : connect_env) env.set(k, v);
  driver::Context cctx(net(), 2);
  void* sc = nullptr;
  void* rc = nullptr;
  const double t0 = driver::now_s();
  while (driver::now_s() - t0 < 5.0) {
    ncclNetDeviceHandle_t* dh = nullptr;
    if (sc == nullptr) o.connect = net()->connect(cctx.get(), 0, h.data(), &sc, &dh);
    if (rc == nullptr) o.accept = net()->accept(lc, &rc, &dh);
    if (o.connect != ncclSuccess || o.accept != ncclSuccess || (sc && rc)) break;
  }
  o.seconds = driver::now_s() - t0;
  o.connected = sc != nullptr && rc != nullptr;
  if (o.connected) {  // prove the pair moves bytes
    std::vector<uint8_t> out(100000), in(100000);
    driver::fill_pattern(out.data(), out.size(), 5);
    void* sreq = driver::isend(net(), sc, out.data(), out.size(), 1, nullptr, kTimeout);
    void* data = in.data();
    size_t size = in.size();
    int tag = 1;
    void* rreq = driver::irecv(net(), rc, 1, &data, &size, &tag, nullptr, kTimeout);
    driver::wait(net(), sreq, 1, kTimeout);
    EXPECT_EQ(driver::wait(net(), rreq, 1, kTimeout)[0], 100000);
    EXPECT_EQ(driver::check_pattern(in.data(), in.size(), 5), -1);
  }
  if (sc) net()->closeSend(sc);
  if (rc) net()->closeRecv(rc);
  net()->closeListen(lc);
  return o;
}

TEST(AbiSecurity, SameJobConnectsOtherJobIsRefusedAtOnce) {
  Outcome same = try_pair({{"LIONCUB_JOB_ID", "job-a"}}, {{"TORCHELASTIC_RUN_ID", "job-a"}});
  EXPECT_TRUE(same.connected);
  Outcome none = try_pair({}, {});
  EXPECT_TRUE(none.connected);
  for (int trial = 0; trial < 3; ++trial) {
    Outcome other = try_pair({{"LIONCUB_JOB_ID", "job-a"}}, {{"LIONCUB_JOB_ID", "job-b"}});
    EXPECT_FALSE(other.connected);
    EXPECT_EQ(other.connect, ncclRemoteError);
    EXPECT_LT(other.seconds, 2.0) << "refused only at a deadline";
    // One side without a job id is another job too.
    Outcome half = try_pair({{"LIONCUB_JOB_ID", "job-a"}}, {});
    EXPECT_FALSE(half.connected);
    EXPECT_EQ(half.connect, ncclRemoteError);
  }
}

TEST(AbiSecurity, SecretMustMatchOnBothSides) {
  if (!net::auth_available()) GTEST_SKIP() << "built without OpenSSL";
  Outcome same = try_pair({{"LIONCUB_SECRET", "s3cret"}}, {{"LIONCUB_SECRET", "s3cret"}});
  EXPECT_TRUE(same.connected);
  for (const auto& [l, c] : std::vector<std::pair<std::string, std::string>>{
           {"s3cret", "other"}, {"s3cret", ""}, {"", "s3cret"}}) {
    std::vector<std::pair<const char*, std::string>> le, ce;
    if (!l.empty()) le.push_back({"LIONCUB_SECRET", l});
    if (!c.empty()) ce.push_back({"LIONCUB_SECRET", c});
    Outcome o = try_pair(le, ce);
    EXPECT_FALSE(o.connected) << "listener secret \"" << l << "\", connector \"" << c << "\"";
    EXPECT_EQ(o.connect, ncclRemoteError);
    EXPECT_LT(o.seconds, 2.0);
  }
}

TEST(AbiSecurity, SecretFromOwnerOnlyFile) {
  if (!net::auth_available()) GTEST_SKIP() << "built without OpenSSL";
  char path[] = "/tmp/lioncub-secret-XXXXXX";
  const int fd = ::mkstemp(path);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::write(fd, "s3cret\n", 7), 7);
  ::close(fd);
  ::chmod(path, 0600);
  Outcome ok = try_pair({{"LIONCUB_SECRET", std::string("@") + path}},
                        {{"LIONCUB_SECRET", "s3cret"}});  // the newline is not part of it
  EXPECT_TRUE(ok.connected);
  ::chmod(path, 0644);
  {
    Env env;
    env.set("LIONCUB_SECRET", std::string("@") + path);
    void* ctx = nullptr;
    EXPECT_EQ(net()->init(&ctx, 3, nullptr, nullptr, nullptr), ncclInvalidUsage)
        << "a secret readable by others was accepted";
  }
  ::unlink(path);
  // Restore a clean global snapshot for the tests after this one.
  driver::Context clean(net(), 4);
}

// A relay that read the handle (so it knows the nonce) but not the secret: its hello is refused
// with an authentication status, whether it claims authentication or not.
TEST(AbiSecurity, RelayWithTheHandleButNoSecretIsRefused) {
  if (!net::auth_available()) GTEST_SKIP() << "built without OpenSSL";
  Env env;
  env.set("LIONCUB_SECRET", "s3cret");
  driver::Context ctx(net(), 5);
  driver::Handle h;
  void* lc = driver::listen(net(), ctx.get(), 0, &h);
  std::string why;
  auto decoded = net::decode_handle(wire_bytes(h), &why);
  ASSERT_TRUE(decoded) << why;
  for (bool claim : {false, true}) {
    const int fd = ::socket(decoded->addr.ss_family, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    ASSERT_EQ(::connect(fd, reinterpret_cast<const sockaddr*>(&decoded->addr),
                        decoded->addr.ss_family == AF_INET6 ? sizeof(sockaddr_in6)
                                                            : sizeof(sockaddr_in)),
              0);
    net::Hello hello;
    hello.streams = 1;
    hello.min_chunk = 65536;
    hello.nonce = decoded->nonce;
    hello.conn_id = 99;
    hello.authenticated = claim;
    if (claim) std::memset(hello.mac, 0xab, sizeof(hello.mac));
    uint8_t buf[net::kHelloSize];
    net::encode_hello(hello, net::wire::MutableBytes(buf, sizeof(buf)));
    ASSERT_EQ(::send(fd, buf, sizeof(buf), MSG_NOSIGNAL), static_cast<ssize_t>(sizeof(buf)));
    void* rc = nullptr;
    uint8_t ack[net::kAckSize];
    size_t got = 0;
    timeval tv{0, 20000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    const double t0 = driver::now_s();
    while (got < sizeof(ack) && driver::now_s() - t0 < 5.0) {
      ncclNetDeviceHandle_t* dh = nullptr;
      ASSERT_EQ(net()->accept(lc, &rc, &dh), ncclSuccess);
      ASSERT_EQ(rc, nullptr) << "a relay without the secret was accepted";
      const ssize_t n = ::recv(fd, ack + got, sizeof(ack) - got, 0);
      if (n > 0) got += static_cast<size_t>(n);
      if (n == 0) break;
    }
    ASSERT_EQ(got, sizeof(ack));
    auto a = net::parse_ack(net::wire::Bytes(ack, sizeof(ack)), &why);
    ASSERT_TRUE(a) << why;
    EXPECT_EQ(a->status, net::AckStatus::kAuthFailed);
    ::close(fd);
  }
  net()->closeListen(lc);
}

// NCCL's socket transport refuses a message larger than the posted receive at once. Here the
// sender's data stream stalls after the header, so only a header-time refusal can end the
// receive before the (long) stall timeout.
TEST(AbiSecurity, OversizedMessageIsRefusedAtHeaderTime) {
  if (!net::fault_injection_built()) GTEST_SKIP() << "built without LIONCUB_FAULT_INJECTION";
  Env env;
  env.set("LIONCUB_NET_STREAMS", "1").set("LIONCUB_NET_TIMEOUT_MS", "60000");
  env.set("LIONCUB_NET_FAULT", "stall:side=send,stream=0,after=0");
  driver::Context ctx(net(), 6);
  LocalPair p = connect_locally(ctx.get());
  env.unset("LIONCUB_NET_FAULT");
  std::vector<uint8_t> out(1 << 20), in(4096);
  void* sreq = driver::isend(net(), p.send_comm, out.data(), out.size(), 7, nullptr, kTimeout);
  void* data = in.data();
  size_t size = in.size();
  int tag = 7;
  void* rreq = driver::irecv(net(), p.recv_comm, 1, &data, &size, &tag, nullptr, kTimeout);
  const double t0 = driver::now_s();
  int done = 0;
  ncclResult_t rc = ncclSuccess;
  while (!done && rc == ncclSuccess && driver::now_s() - t0 < 10.0) {
    int got = -1;
    rc = net()->test(rreq, &done, &got);
  }
  EXPECT_EQ(rc, ncclInvalidUsage);
  EXPECT_LT(driver::now_s() - t0, 2.0);
  (void)sreq;
  close_locally(p);
}

// LIONCUB_NET_RCVBUF=1024 would make every transfer crawl: raised to 64 KiB.
TEST(AbiSecurity, TinySocketBuffersAreRaised) {
  Env env;
  env.set("LIONCUB_NET_RCVBUF", "1024").set("NCCL_SOCKET_SNDBUF", "2048");
  const net::Settings s = net::load_settings();
  EXPECT_EQ(s.rcvbuf, net::kMinSocketBuffer);
  EXPECT_EQ(s.sndbuf, net::kMinSocketBuffer);
  driver::Context ctx(net(), 7);
  LocalPair p = connect_locally(ctx.get());
  std::vector<uint8_t> out(1200000), in(1200000);
  driver::fill_pattern(out.data(), out.size(), 3);
  const double t0 = driver::now_s();
  void* sreq = driver::isend(net(), p.send_comm, out.data(), out.size(), 0, nullptr, kTimeout);
  void* data = in.data();
  size_t size = in.size();
  int tag = 0;
  void* rreq = driver::irecv(net(), p.recv_comm, 1, &data, &size, &tag, nullptr, kTimeout);
  driver::wait(net(), sreq, 1, kTimeout);
  EXPECT_EQ(driver::wait(net(), rreq, 1, kTimeout)[0], 1200000);
  EXPECT_EQ(driver::check_pattern(in.data(), in.size(), 3), -1);
  EXPECT_LT(driver::now_s() - t0, 20.0);  // a hang guard, not a performance bound
  close_locally(p);
}

// Under a low open-file limit, a flood of silent connections (from a child, which has its own
// descriptors) neither fails the listener nor keeps a real connection out.
TEST(AbiSecurity, SilentFloodUnderALowFdLimitDropsStrangers) {
  Pipe handle_pipe, done_pipe;
  pid_t flood = spawn([&] {
    driver::Handle h = handle_pipe.receive_handle();
    std::string why;
    auto decoded = net::decode_handle(wire_bytes(h), &why);
    CHILD_REQUIRE(decoded);
    std::vector<int> fds;
    for (int i = 0; i < 300; ++i) {
      const int fd = ::socket(decoded->addr.ss_family, SOCK_STREAM, 0);
      CHILD_REQUIRE(fd >= 0);
      CHILD_REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&decoded->addr),
                              sizeof(sockaddr_in)) == 0);
      fds.push_back(fd);
    }
    const uint8_t one = 1;
    done_pipe.write_all(&one, 1);
    uint8_t wait_byte;
    handle_pipe.read_all(&wait_byte, 1, kTimeout);  // keep them open until told
  });
  rlimit old{};
  ASSERT_EQ(::getrlimit(RLIMIT_NOFILE, &old), 0);
  rlimit low = old;
  low.rlim_cur = 128;
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &low), 0);
  {
    Env env;
    env.set("LIONCUB_NET_STREAMS", "2");
    driver::Context ctx(net(), 8);
    driver::Handle h;
    void* lc = driver::listen(net(), ctx.get(), 0, &h);
    handle_pipe.send_handle(h);
    uint8_t byte;
    done_pipe.read_all(&byte, 1, kTimeout);
    // Leave 5 descriptors free, so that taking in the flood runs into EMFILE.
    std::vector<int> filler;
    for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;) filler.push_back(fd);
    ASSERT_EQ(errno, EMFILE);
    for (int i = 0; i < 5 && !filler.empty(); ++i) {
      ::close(filler.back());
      filler.pop_back();
    }
    void* rc = nullptr;
    void* sc = nullptr;
    ncclResult_t arc = ncclSuccess, crc = ncclSuccess;
    for (int i = 0; i < 50 && arc == ncclSuccess; ++i) {  // take in the flood first
      ncclNetDeviceHandle_t* dh = nullptr;
      arc = net()->accept(lc, &rc, &dh);
    }
    for (int fd : filler) ::close(fd);
    EXPECT_EQ(arc, ncclSuccess) << "EMFILE failed the listener instead of dropping strangers";
    for (int i = 0; i < 50 && arc == ncclSuccess; ++i) {  // the rest, under the pending cap
      ncclNetDeviceHandle_t* dh = nullptr;
      arc = net()->accept(lc, &rc, &dh);
    }
    EXPECT_EQ(arc, ncclSuccess) << "the flood failed the listener";
    const double t0 = driver::now_s();
    while ((sc == nullptr || rc == nullptr) && arc == ncclSuccess && crc == ncclSuccess &&
           driver::now_s() - t0 < 10.0) {
      ncclNetDeviceHandle_t* dh = nullptr;
      if (sc == nullptr) crc = net()->connect(ctx.get(), 0, h.data(), &sc, &dh);
      if (rc == nullptr) arc = net()->accept(lc, &rc, &dh);
    }
    EXPECT_EQ(arc, ncclSuccess);
    EXPECT_EQ(crc, ncclSuccess);
    EXPECT_NE(rc, nullptr) << "the real connection was kept out";
    if (sc) net()->closeSend(sc);
    if (rc) net()->closeRecv(rc);
    net()->closeListen(lc);
  }
  ASSERT_EQ(::setrlimit(RLIMIT_NOFILE, &old), 0);
  const uint8_t go = 1;
  handle_pipe.write_all(&go, 1);
  EXPECT_EQ(reap(flood), 0);
}

}  // namespace
}  // namespace lioncub::test
