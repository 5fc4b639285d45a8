#include "harness.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace lioncub::test {

int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = 0;
  socklen_t len = sizeof a;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

std::string loopback(int port) { return "127.0.0.1:" + std::to_string(port); }

void set_test_transport_env() {
  ::setenv("LIONCUB_NET_IFNAME", "=lo", 0);
  ::setenv("LIONCUB_NET_STREAMS", "2", 0);
  ::setenv("LIONCUB_NET_THREADS", "1", 0);
  ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "60000", 0);
  ::setenv("LIONCUB_TIMEOUT_MS", "60000", 0);
}

std::string describe(lioncubResult_t rc) {
  return std::to_string(rc) + " (" + lioncubGetErrorString(rc) + "): " + lioncubGetLastErrorMessage();
}

uint64_t splitmix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

std::vector<std::string> run_ranks(const std::vector<int>& ranks,
                                   const std::function<std::string(int rank)>& body,
                                   double timeout_s) {
  set_test_transport_env();
  std::fflush(stdout);
  std::fflush(stderr);
  std::vector<pid_t> pids;
  std::vector<int> pipes;
  for (int rank : ranks) {
    int fds[2];
    if (::pipe(fds) != 0) std::abort();
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      std::string err;
      try {
        err = body(rank);
      } catch (const std::exception& e) {
        err = std::string("exception: ") + e.what();
      }
      if (!err.empty()) {
        err = "rank " + std::to_string(rank) + ": " + err;
        [[maybe_unused]] ssize_t w = ::write(fds[1], err.data(), err.size());
      }
      ::close(fds[1]);
      ::_exit(err.empty() ? 0 : 1);
    }
    ::close(fds[1]);
    pids.push_back(pid);
    pipes.push_back(fds[0]);
  }
  std::vector<std::string> result(ranks.size());
  std::vector<bool> done(ranks.size(), false);
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(static_cast<long>(timeout_s * 1000));
  size_t left = ranks.size();
  while (left > 0) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (done[i]) continue;
      int status = 0;
      if (::waitpid(pids[i], &status, WNOHANG) == pids[i]) {
        done[i] = true;
        --left;
        std::string msg;
        char buf[4096];
        ssize_t n;
        while ((n = ::read(pipes[i], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
        if (WIFSIGNALED(status)) {
          result[i] = "rank " + std::to_string(ranks[i]) + " killed by signal " +
                      std::to_string(WTERMSIG(status));
        } else if (WEXITSTATUS(status) != 0) {
          result[i] = msg.empty() ? "rank " + std::to_string(ranks[i]) + " exited " +
                                        std::to_string(WEXITSTATUS(status))
                                  : msg;
        }
      }
    }
    if (left == 0) break;
    if (std::chrono::steady_clock::now() > deadline) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (done[i]) continue;
        ::kill(pids[i], SIGKILL);
        ::waitpid(pids[i], nullptr, 0);
        result[i] = "rank " + std::to_string(ranks[i]) + " timed out (hang)";
      }
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  for (int fd : pipes) ::close(fd);
  return result;
}

std::vector<std::string> run_all(int nranks, const std::function<std::string(int rank)>& body,
                                 double timeout_s) {
  std::vector<int> ranks;
  for (int r = 0; r < nranks; ++r) ranks.push_back(r);
  return run_ranks(ranks, body, timeout_s);
}

}  // namespace lioncub::test
