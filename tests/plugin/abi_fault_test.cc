// Faults: a dead peer, a stalled peer, a listener that is gone, strangers at the listener.
// Each turns into an error (or is ignored) within the configured timeouts; nothing hangs.
#include <arpa/inet.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <random>
#include <thread>
#include <vector>

#include "handle.h"
#include "harness.h"
#include "hello.h"

namespace lioncub::test {
namespace {

using namespace abi;

// Polls test until done or error; returns the code and how long it took.
std::pair<ncclResult_t, double> poll(void* req, double timeout_s) {
  const double start = driver::now_s();
  int done = 0;
  ncclResult_t code = ncclSuccess;
  while (code == ncclSuccess && !done && driver::now_s() - start < timeout_s) {
    code = net()->test(req, &done, nullptr);
    if (!done) std::this_thread::sleep_for(std::chrono::microseconds(100));
  }
  return {code, driver::now_s() - start};
}

class EnvVar {
 public:
  EnvVar(const char* name, const char* value) : name_(name) { ::setenv(name, value, 1); }
  ~EnvVar() { ::unsetenv(name_); }

 private:
  const char* name_;
};

// The child accepts, signals, then never posts a receive (stalls) until it is killed. Staging
// is off in the child: otherwise it would absorb up to LIONCUB_NET_STAGING_BYTES of messages
// nobody receives, and the sender would stall only after that.
struct SilentReceiver {
  Pipe handles, ready;
  pid_t pid;
  SilentReceiver() {
    pid = spawn([this] {
      ::setenv("LIONCUB_NET_STAGING_BYTES", "0", 1);
      driver::Context ctx(net());
      driver::Handle h;
      void* lc = driver::listen(net(), ctx.get(), 0, &h);
      handles.send_handle(h);
      driver::accept(net(), lc, kTimeout);
      uint8_t one = 1;
      ready.write_all(&one, 1);
      ::pause();
    });
  }
};

TEST(AbiFault, PeerKilledMidTransferFailsPromptly) {
  SilentReceiver peer;
  driver::Context ctx(net());
  driver::Handle h = peer.handles.receive_handle();
  void* sc = driver::connect(net(), ctx.get(), 0, &h, kTimeout);
  uint8_t one;
  peer.ready.read_all(&one, 1);
  std::vector<uint8_t> buf(64u << 20, 1);
  void* req = driver::isend(net(), sc, buf.data(), buf.size(), 0, nullptr, kTimeout);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  ::kill(peer.pid, SIGKILL);
  auto [code, secs] = poll(req, 10);
  EXPECT_EQ(code, ncclRemoteError);
  EXPECT_LT(secs, 5.0);
  EXPECT_EQ(net()->closeSend(sc), ncclSuccess);  // request still in flight: freed by close
  reap(peer.pid, 5);
}

TEST(AbiFault, StalledPeerTimesOutWithAnError) {
  EnvVar stall("LIONCUB_NET_TIMEOUT_MS", "1500");
  SilentReceiver peer;
  driver::Context ctx(net());
  driver::Handle h = peer.handles.receive_handle();
  void* sc = driver::connect(net(), ctx.get(), 0, &h, kTimeout);
  uint8_t one;
  peer.ready.read_all(&one, 1);
  std::vector<uint8_t> buf(64u << 20, 1);
  void* req = driver::isend(net(), sc, buf.data(), buf.size(), 0, nullptr, kTimeout);
  auto [code, secs] = poll(req, 20);
  EXPECT_EQ(code, ncclRemoteError);
  EXPECT_GT(secs, 1.0);
  EXPECT_LT(secs, 6.0);
  EXPECT_EQ(net()->closeSend(sc), ncclSuccess);
  ::kill(peer.pid, SIGKILL);
  reap(peer.pid, 5);
}

TEST(AbiFault, ConnectToAVanishedListenerTimesOut) {
  EnvVar timeout("LIONCUB_NET_CONNECT_TIMEOUT_MS", "500");
  driver::Context ctx(net());
  driver::Handle h;
  void* lc = driver::listen(net(), ctx.get(), 0, &h);
  ASSERT_EQ(net()->closeListen(lc), ncclSuccess);
  void* sc = nullptr;
  ncclResult_t code = ncclSuccess;
  const double start = driver::now_s();
  while (code == ncclSuccess && sc == nullptr && driver::now_s() - start < 10) {
    code = net()->connect(ctx.get(), 0, h.data(), &sc, nullptr);
  }
  EXPECT_EQ(code, ncclRemoteError);
  EXPECT_EQ(sc, nullptr);
  EXPECT_LT(driver::now_s() - start, 3.0);
}

void write_raw(int fd, const void* p, size_t n) {
  if (::send(fd, p, n, MSG_NOSIGNAL) != static_cast<ssize_t>(n)) {
    throw std::runtime_error("stranger: short write");
  }
}

// Strangers connect to the listener (random bytes, a well-formed hello with the wrong nonce,
// silence, an immediate close); a real connection made meanwhile works and is the only one
// accepted.
TEST(AbiFault, StrangersAreDroppedWithoutDisturbingRealConnections) {
  Pipe handles, go;
  pid_t child = spawn([&] {
    driver::Handle h = handles.receive_handle();
    auto decoded = net::decode_handle(wire_bytes(h), nullptr);
    CHILD_REQUIRE(decoded.has_value());
    const sockaddr_storage addr = decoded->addr;
    auto dial = [&] {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      CHILD_REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(sockaddr_in)) == 0);
      return fd;
    };
    std::vector<int> keep;
    std::mt19937_64 rng(5);
    int fd = dial();  // random bytes
    uint8_t junk[net::kHelloSize];
    for (auto& b : junk) b = static_cast<uint8_t>(rng());
    write_raw(fd, junk, sizeof(junk));
    keep.push_back(fd);
    fd = dial();  // wrong nonce
    net::Hello hello;
    hello.streams = 1;
    hello.min_chunk = 65536;
    hello.nonce = decoded->nonce ^ 1;
    hello.conn_id = 7;
    uint8_t buf[net::kHelloSize];
    net::encode_hello(hello, net::wire::MutableBytes(buf, sizeof(buf)));
    write_raw(fd, buf, sizeof(buf));
    keep.push_back(fd);
    keep.push_back(dial());  // silent
    ::close(dial());         // gone at once
    // Now the real one.
    driver::Context ctx(net());
    void* sc = driver::connect(net(), ctx.get(), 0, &h, kTimeout);
    auto data = std::vector<uint8_t>(3u << 20);
    driver::fill_pattern(data.data(), data.size(), 99);
    void* req = driver::isend(net(), sc, data.data(), data.size(), 0, nullptr, kTimeout);
    driver::wait(net(), req, 1, kTimeout);
    uint8_t one;
    go.read_all(&one, 1);
    driver::check(net()->closeSend(sc), "closeSend");
    for (int k : keep) ::close(k);
  });
  {
    driver::Context ctx(net());
    driver::Handle h;
    void* lc = driver::listen(net(), ctx.get(), 0, &h);
    handles.send_handle(h);
    void* rc = driver::accept(net(), lc, kTimeout);
    std::vector<uint8_t> data(3u << 20);
    void* d = data.data();
    size_t s = data.size();
    int tag = 0;
    void* req = driver::irecv(net(), rc, 1, &d, &s, &tag, nullptr, kTimeout);
    EXPECT_EQ(driver::wait(net(), req, 1, kTimeout)[0], static_cast<int>(data.size()));
    EXPECT_EQ(driver::check_pattern(data.data(), data.size(), 99), -1);
    // No second comm comes out of the strangers.
    void* extra = nullptr;
    for (int i = 0; i < 50; ++i) {
      ASSERT_EQ(net()->accept(lc, &extra, nullptr), ncclSuccess);
      ASSERT_EQ(extra, nullptr);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    uint8_t one = 1;
    go.write_all(&one, 1);
    EXPECT_EQ(net()->closeRecv(rc), ncclSuccess);
    EXPECT_EQ(net()->closeListen(lc), ncclSuccess);
  }
  EXPECT_EQ(reap(child), 0);
}

TEST(AbiFault, WrongNonceConnectFailsInsteadOfHanging) {
  driver::Context ctx(net());
  driver::Handle h;
  void* lc = driver::listen(net(), ctx.get(), 0, &h);
  auto decoded = net::decode_handle(wire_bytes(h), nullptr);
  ASSERT_TRUE(decoded);
  decoded->nonce ^= 0xff;
  net::encode_handle(*decoded, net::wire::MutableBytes(h.data(), h.size()));
  void* sc = nullptr;
  void* rc = nullptr;
  ncclResult_t code = ncclSuccess;
  const double start = driver::now_s();
  while (code == ncclSuccess && sc == nullptr && driver::now_s() - start < 10) {
    code = net()->connect(ctx.get(), 0, h.data(), &sc, nullptr);
    ASSERT_EQ(net()->accept(lc, &rc, nullptr), ncclSuccess);
    ASSERT_EQ(rc, nullptr);
  }
  EXPECT_EQ(code, ncclRemoteError);
  EXPECT_EQ(net()->closeListen(lc), ncclSuccess);
}

}  // namespace
}  // namespace lioncub::test
