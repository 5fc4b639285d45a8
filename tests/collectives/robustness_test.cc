// Misuse and hostile peers on the host backend (forked ranks on loopback, each test bounded by
// its rendezvous timeout): two threads on one communicator, a squatter answering the store's
// port, failed inits that must give back every descriptor and thread, the descriptor limit.
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "lioncub/lioncub.h"

namespace lioncub::test {
namespace {

std::string last() { return lioncubGetLastErrorMessage(); }

int count_entries(const char* dir) {
  DIR* d = ::opendir(dir);
  if (d == nullptr) return -1;
  int n = 0;
  while (::readdir(d) != nullptr) ++n;
  ::closedir(d);
  return n;
}

// Two threads on one communicator: the second call is refused while the first runs (rank 1
// joins the first call late, so it is certainly still running), and nothing is corrupted.
TEST(Robustness, ConcurrentCallsOnOneCommunicatorAreRefused) {
  const std::string rdv = loopback(free_port());
  const auto errors = run_all(2, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    if (lioncubCommInitHost(&comm, 2, rank, rdv.c_str()) != lioncubSuccess) return "init: " + last();
    std::vector<float> a(1000, static_cast<float>(rank + 1));
    if (rank == 1) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    std::atomic<int> first{-1};
    std::thread t([&] {
      first = lioncubAllreduce(comm, lioncubAlgoFull, a.data(), a.data(), a.size(), lioncubFloat32,
                               lioncubSum, nullptr, nullptr);
    });
    std::string err;
    if (rank == 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      std::vector<float> b(1000, 1.0f);
      const lioncubResult_t rc = lioncubAllreduce(comm, lioncubAlgoFull, b.data(), b.data(),
                                                  b.size(), lioncubFloat32, lioncubSum, nullptr,
                                                  nullptr);
      if (rc != lioncubInvalidUsage) err = "second thread: want lioncubInvalidUsage, got " + describe(rc);
      else if (last().find("in use by another thread") == std::string::npos) err = "message: " + last();
      if (err.empty() && lioncubCommDestroy(comm) != lioncubInvalidUsage) {
        err = "destroy during a call: want lioncubInvalidUsage";
      }
    }
    t.join();
    if (!err.empty()) return err;
    if (first != lioncubSuccess) return "first call: " + std::to_string(first.load()) + " " + last();
    for (float x : a) {
      if (x != 3.0f) return "sum " + std::to_string(x) + ", want 3";
    }
    return lioncubCommDestroy(comm) == lioncubSuccess ? "" : "destroy: " + last();
  }, 60.0);
  for (const std::string& e : errors) EXPECT_EQ(e, "");
}

// A stranger on the store's port answers "rank 0 gave up" with a result code outside the enum
// (or success) and a reason full of control characters: never success, never a NULL
// communicator with success, no control character in the message.
TEST(Robustness, SquatterOnTheStorePort) {
  for (const uint8_t code : {uint8_t{0}, uint8_t{200}}) {
    const int lfd = ::socket(AF_INET, SOCK_STREAM, 0);
    ASSERT_GE(lfd, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ASSERT_EQ(::bind(lfd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    ASSERT_EQ(::listen(lfd, 4), 0);
    ASSERT_EQ(::getsockname(lfd, reinterpret_cast<sockaddr*>(&a), &len), 0);
    const std::string rdv = loopback(ntohs(a.sin_port));
    std::thread squatter([&] {  // answers every request of one client: status 2, code, junk
      const int c = ::accept(lfd, nullptr, nullptr);
      if (c < 0) return;
      const std::string reason = "go away\x1b[2J\r\n\x07";
      std::vector<uint8_t> reply{2};
      const uint32_t n = static_cast<uint32_t>(1 + reason.size());
      for (int i = 0; i < 4; ++i) reply.push_back(static_cast<uint8_t>(n >> (8 * i)));
      reply.push_back(code);
      reply.insert(reply.end(), reason.begin(), reason.end());
      uint8_t buf[4096];
      while (::read(c, buf, sizeof buf) > 0) {
        if (buf[0] == 1) {  // set: a bare status
          const uint8_t ok[5] = {1, 0, 0, 0, 0};
          if (::write(c, ok, 5) != 5) break;
        } else if (::write(c, reply.data(), reply.size()) != static_cast<ssize_t>(reply.size())) {
          break;
        }
      }
      ::close(c);
    });
    const auto errors = run_ranks({1}, [&](int rank) -> std::string {
      ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "5000", 1);
      lioncubComm_t comm = nullptr;
      const lioncubResult_t rc = lioncubCommInitHost(&comm, 2, rank, rdv.c_str());
      if (rc == lioncubSuccess) return comm ? "success against a squatter" : "success with a NULL comm";
      if (rc != lioncubRemoteError) return "want lioncubRemoteError, got " + describe(rc);
      if (comm != nullptr) return "comm set on failure";
      for (char ch : last()) {
        if (std::iscntrl(static_cast<unsigned char>(ch))) return "control character in: " + last();
      }
      return "";
    }, 30.0);
    ::shutdown(lfd, SHUT_RDWR);
    ::close(lfd);
    squatter.join();
    for (const std::string& e : errors) EXPECT_EQ(e, "") << "code " << int(code);
  }
}

// Rank 0 alone in a job of 3 fails its rendezvous (the others never come) after it loaded the
// plugin, listened for both peers and published its handles: each failure gives back every
// descriptor and thread it took.
TEST(Robustness, FailedInitLeavesNoDescriptorsOrThreads) {
  const auto errors = run_ranks({0}, [&](int) -> std::string {
    ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "600", 1);
    auto fail_once = [](std::string* why) {
      lioncubComm_t comm = nullptr;
      const std::string rdv = loopback(free_port());
      const lioncubResult_t rc = lioncubCommInitHost(&comm, 3, 0, rdv.c_str());
      if (rc != lioncubTimeout || comm != nullptr) *why = "want lioncubTimeout, got " + describe(rc);
    };
    std::string why;
    fail_once(&why);  // loads the plugin (which stays loaded)
    if (!why.empty()) return why;
    const int fds = count_entries("/proc/self/fd"), threads = count_entries("/proc/self/task");
    for (int i = 0; i < 3 && why.empty(); ++i) fail_once(&why);
    if (!why.empty()) return why;
    const int fds_after = count_entries("/proc/self/fd"), threads_after = count_entries("/proc/self/task");
    if (fds_after != fds || threads_after != threads) {
      return "after 3 failed inits: " + std::to_string(fds_after) + " descriptors (was " +
             std::to_string(fds) + "), " + std::to_string(threads_after) + " threads (was " +
             std::to_string(threads) + ")";
    }
    return "";
  }, 60.0);
  for (const std::string& e : errors) EXPECT_EQ(e, "");
}

// Init raises the soft descriptor limit to the hard one (a host communicator holds several
// sockets per peer); where the hard limit is too low, the error says so and names a rank.
TEST(Robustness, DescriptorLimit) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  // The sanitizer runtimes open files of their own (UBSan's type checks read /proc/self/maps),
  // and fail with false reports when the process has no descriptor left.
  GTEST_SKIP() << "runs without the sanitizers: their runtimes need descriptors of their own";
#endif
  std::string rdv = loopback(free_port());
  auto errors = run_all(2, [&](int rank) -> std::string {
    rlimit lim{};
    ::getrlimit(RLIMIT_NOFILE, &lim);
    if (lim.rlim_max == RLIM_INFINITY || lim.rlim_max < 512) return "";  // nothing to show
    lim.rlim_cur = 256;
    ::setrlimit(RLIMIT_NOFILE, &lim);
    lioncubComm_t comm = nullptr;
    if (lioncubCommInitHost(&comm, 2, rank, rdv.c_str()) != lioncubSuccess) return "init: " + last();
    rlimit now{};
    ::getrlimit(RLIMIT_NOFILE, &now);
    lioncubCommDestroy(comm);
    if (now.rlim_cur != lim.rlim_max) return "soft limit " + std::to_string(now.rlim_cur) + ", want the hard " + std::to_string(lim.rlim_max);
    return "";
  }, 60.0);
  for (const std::string& e : errors) EXPECT_EQ(e, "");

  // Hard limit just above what is open: 4 ranks cannot all connect.
  rdv = loopback(free_port());
  errors = run_all(4, [&](int rank) -> std::string {
    ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "10000", 1);
    const int open_now = count_entries("/proc/self/fd") - 3;
    rlimit lim{};
    lim.rlim_cur = lim.rlim_max = static_cast<rlim_t>(open_now + 24);
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return "setrlimit failed";
    lioncubComm_t comm = nullptr;
    const lioncubResult_t rc = lioncubCommInitHost(&comm, 4, rank, rdv.c_str());
    if (rc == lioncubSuccess) {
      lioncubCommDestroy(comm);
      return "";  // this rank fit; another one did not
    }
    std::string m = last();
    std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
    if (m.find("too many open files") == std::string::npos && m.find("rank") == std::string::npos) {
      return "message names neither the limit nor a rank: " + last();
    }
    return "failed: " + last();
  }, 60.0);
  int failed = 0, limit_named = 0;
  for (const std::string& e : errors) {
    if (e.find("failed: ") != std::string::npos) {
      ++failed;
      std::string m = e;
      std::transform(m.begin(), m.end(), m.begin(), [](unsigned char c) { return std::tolower(c); });
      if (m.find("too many open files") != std::string::npos) ++limit_named;
    } else {
      EXPECT_EQ(e, "");
    }
  }
  EXPECT_GT(failed, 0) << "24 spare descriptors were enough for 3 peers";
  EXPECT_GT(limit_named, 0) << "no rank said 'too many open files': " << errors[0];
}

}  // namespace
}  // namespace lioncub::test
