// Shared by lioncub's benchmark tools (lioncub-perf, lioncub-step-bench, the demo): start P
// ranks as forked processes on loopback, each with a host communicator, and collect their exit
// codes. Header-only: the tools are single-file programs.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::bench {

// A TCP port on 127.0.0.1 that was free a moment ago (for the rendezvous of forked ranks).
inline int free_loopback_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    std::perror("lioncub: no free loopback port");
    std::exit(1);
  }
  ::close(fd);
  return ntohs(a.sin_port);
}

// Forks np ranks; rank r runs body(comm) on a host communicator of np ranks over loopback and
// exits with its return value. Returns the first non-zero exit status (128 + signal for a
// killed rank), 0 when all succeeded.
inline int run_local_ranks(int np, const std::function<int(lioncubComm_t)>& body) {
  ::setenv("LIONCUB_NET_IFNAME", "=lo", 0);
  const std::string root = "127.0.0.1:" + std::to_string(free_loopback_port());
  std::fflush(nullptr);
  std::vector<pid_t> pids;
  for (int r = 0; r < np; ++r) {
    const pid_t pid = ::fork();
    if (pid < 0) {
      std::perror("lioncub: fork");
      return 1;
    }
    if (pid == 0) {
      lioncubComm_t comm = nullptr;
      if (lioncubCommInitHost(&comm, np, r, np > 1 ? root.c_str() : nullptr) != lioncubSuccess) {
        std::fprintf(stderr, "rank %d: lioncubCommInitHost: %s\n", r, lioncubGetLastErrorMessage());
        std::fflush(nullptr);
        ::_exit(1);
      }
      const int rc = body(comm);
      lioncubCommDestroy(comm);
      std::fflush(nullptr);
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  int status = 0;
  for (pid_t pid : pids) {
    int ws = 0;
    ::waitpid(pid, &ws, 0);
    const int rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
    if (rc != 0 && status == 0) status = rc;
  }
  return status;
}

}  // namespace lioncub::bench
