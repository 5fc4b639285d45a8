// Hostile peers at scale: 1,000 connections to one listener that send random bytes, a hello with
// the wrong nonce, half a hello, or nothing at all (held open). Each is closed by the listener
// within the hello timeout (LIONCUB_NET_CONNECT_TIMEOUT_MS, 500 ms here); a legitimate
// connection made in the middle of them works; afterwards the listening process has as many
// descriptors as before and its RSS has not grown. (abi_fault_test.cc has the small version.)
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "handle.h"
#include "harness.h"
#include "hello.h"

namespace lioncub::test {
namespace {

using namespace abi;

constexpr int kHelloTimeoutMs = 500;
constexpr int kStrangers = 1000;
constexpr int kBatch = 200;  // connections open at once

int open_fds() {
  int n = 0;
  for (int fd = 0; fd < 65536; ++fd) {
    if (::fcntl(fd, F_GETFD) != -1) ++n;
  }
  return n;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  }
  return -1;
}

enum Kind { kRandom, kWrongNonce, kHalfHello, kSilent, kKinds };
const char* const kKindNames[] = {"random bytes", "wrong nonce", "half a hello", "silent"};

// The strangers' side (a forked child): opens the connections in batches, and measures how long
// the listener takes to close each (EOF or reset on a read). Makes the real connection while
// the second batch is open.
void strangers(Pipe& handles, Pipe& done) {
  driver::Handle h = handles.receive_handle();
  auto decoded = net::decode_handle(wire_bytes(h), nullptr);
  CHILD_REQUIRE(decoded.has_value());
  const sockaddr_storage addr = decoded->addr;
  std::mt19937_64 rng(11);
  double worst[kKinds] = {};
  for (int first = 0; first < kStrangers; first += kBatch) {
    std::vector<int> fds;
    std::vector<double> opened;
    std::vector<int> kinds;
    for (int i = first; i < first + kBatch && i < kStrangers; ++i) {
      const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
      CHILD_REQUIRE(fd >= 0);
      CHILD_REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(sockaddr_in)) == 0);
      const Kind kind = static_cast<Kind>(i % kKinds);
      uint8_t buf[net::kHelloSize + 256];  // random junk: the hello size and up to 200 more
      size_t n = 0;
      if (kind == kRandom) {
        n = net::kHelloSize + rng() % 200;
        for (size_t k = 0; k < n; ++k) buf[k] = static_cast<uint8_t>(rng());
      } else if (kind == kWrongNonce || kind == kHalfHello) {
        net::Hello hello;
        hello.streams = 1;
        hello.min_chunk = 65536;
        hello.nonce = kind == kWrongNonce ? decoded->nonce ^ (1 + rng() % 1000) : decoded->nonce;
        hello.conn_id = rng() | 1;
        net::encode_hello(hello, net::wire::MutableBytes(buf, net::kHelloSize));
        n = kind == kWrongNonce ? net::kHelloSize : 1 + rng() % (net::kHelloSize - 1);
      }
      if (n > 0) CHILD_REQUIRE(::send(fd, buf, n, MSG_NOSIGNAL) == static_cast<ssize_t>(n));
      fds.push_back(fd);
      opened.push_back(driver::now_s());
      kinds.push_back(kind);
    }
    if (first == kBatch) {  // the real connection, while these strangers are pending
      driver::Context ctx(net());
      void* sc = driver::connect(net(), ctx.get(), 0, &h, kTimeout);
      std::vector<uint8_t> data(3u << 20);
      driver::fill_pattern(data.data(), data.size(), 77);
      void* req = driver::isend(net(), sc, data.data(), data.size(), 0, nullptr, kTimeout);
      driver::wait(net(), req, 1, kTimeout);
      driver::check(net()->closeSend(sc), "closeSend");
    }
    // Wait for the listener to close every one of them.
    size_t open = fds.size();
    const double give_up = driver::now_s() + 10;
    while (open > 0 && driver::now_s() < give_up) {
      std::vector<pollfd> pfds;
      std::vector<size_t> which;
      for (size_t k = 0; k < fds.size(); ++k) {
        if (fds[k] >= 0) {
          pfds.push_back({fds[k], POLLIN | POLLRDHUP, 0});
          which.push_back(k);
        }
      }
      if (::poll(pfds.data(), pfds.size(), 20) <= 0) continue;
      for (size_t j = 0; j < pfds.size(); ++j) {
        if (pfds[j].revents == 0) continue;
        uint8_t junk[64];
        const ssize_t r = ::recv(pfds[j].fd, junk, sizeof junk, MSG_DONTWAIT);
        CHILD_REQUIRE(r <= 0);  // the listener never answers a stranger
        if (r < 0 && (errno == EAGAIN || errno == EINTR)) continue;
        const size_t k = which[j];
        const double took = driver::now_s() - opened[k];
        worst[kinds[k]] = std::max(worst[kinds[k]], took);
        ::close(fds[k]);
        fds[k] = -1;
        --open;
      }
    }
    CHILD_REQUIRE(open == 0);
  }
  for (int k = 0; k < kKinds; ++k) {
    std::fprintf(stderr, "hostile: %d x %s: closed within %.3f s (hello timeout %.3f s)\n",
                 kStrangers / kKinds, kKindNames[k], worst[k], kHelloTimeoutMs / 1000.0);
    // The listener polls on accept() every millisecond here; allow scheduling slack.
    CHILD_REQUIRE(worst[k] < kHelloTimeoutMs / 1000.0 + 0.5);
  }
  uint8_t one = 1;
  done.write_all(&one, 1);
}

TEST(AbiHostile, AThousandStrangersAreClosedInTimeAndLeakNothing) {
  ::setenv("LIONCUB_NET_CONNECT_TIMEOUT_MS", std::to_string(kHelloTimeoutMs).c_str(), 1);
  driver::Context ctx(net());
  driver::Handle h;
  void* lc = driver::listen(net(), ctx.get(), 0, &h);
  std::vector<uint8_t> data(3u << 20);  // the real connection's buffer, touched before measuring
  Pipe handles, done;
  const int fds_before = open_fds();
  const long rss_before = rss_kib();
  pid_t child = spawn([&] { strangers(handles, done); });
  handles.send_handle(h);
  void* rc = nullptr;
  void* req = nullptr;
  bool received = false;
  const double deadline = driver::now_s() + 60;
  int status = 0;
  pid_t exited = 0;
  while (driver::now_s() < deadline) {
    void* extra = nullptr;
    ASSERT_EQ(net()->accept(lc, &extra, nullptr), ncclSuccess);
    if (extra != nullptr) {
      ASSERT_EQ(rc, nullptr) << "a stranger became a connection";
      rc = extra;
      void* d = data.data();
      size_t s = data.size();
      int tag = 0;
      req = driver::irecv(net(), rc, 1, &d, &s, &tag, nullptr, kTimeout);
    }
    if (req != nullptr) {
      int isdone = 0, size = 0;
      ASSERT_EQ(net()->test(req, &isdone, &size), ncclSuccess);
      if (isdone) {
        EXPECT_EQ(size, static_cast<int>(data.size()));
        EXPECT_EQ(driver::check_pattern(data.data(), data.size(), 77), -1);
        received = true;
        req = nullptr;
      }
    }
    exited = ::waitpid(child, &status, WNOHANG);
    if (exited == child) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  if (exited != child) reap(child, 1);
  ASSERT_EQ(exited, child) << "strangers still running after 60 s";
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "see the child's message above";
  EXPECT_TRUE(received);
  if (rc != nullptr) {
    EXPECT_EQ(net()->closeRecv(rc), ncclSuccess);
  }
  // Let the listener finish with anything still pending, then compare.
  for (int i = 0; i < 50; ++i) {
    void* extra = nullptr;
    ASSERT_EQ(net()->accept(lc, &extra, nullptr), ncclSuccess);
    ASSERT_EQ(extra, nullptr);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int fds_after = open_fds();
  const long rss_after = rss_kib();
  std::printf("descriptors %d -> %d, RSS %ld -> %ld KiB\n", fds_before, fds_after, rss_before, rss_after);
  EXPECT_EQ(fds_after, fds_before);
  // The real comm's threads came and went; strangers must add nothing that scales with their
  // number (1,000 x even 4 KiB would be 4 MiB). Sanitizers' shadow memory and quarantines grow
  // RSS on their own, so there the descriptor count is the leak check (and ASan's leak checker).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  std::printf("RSS not checked: built with a sanitizer\n");
#else
  EXPECT_LT(rss_after - rss_before, 2048);
#endif
  EXPECT_EQ(net()->closeListen(lc), ncclSuccess);
  ::unsetenv("LIONCUB_NET_CONNECT_TIMEOUT_MS");
}

}  // namespace
}  // namespace lioncub::test
