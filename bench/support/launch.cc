#include "support/launch.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "support/launcher_env.h"

namespace lioncub::bench {
namespace {

std::string g_description = "not started";

// One rank's life: communicator, body, destroy. Returns the body's status.
int one_rank(lioncubComm_t comm, const std::function<int(lioncubComm_t)>& body) {
  const int rc = body(comm);
  lioncubCommDestroy(comm);
  std::fflush(nullptr);
  return rc;
}

}  // namespace

int free_loopback_port() {
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

std::string launch_description() { return g_description; }

int run_ranks(int np, int default_np, const std::function<int(lioncubComm_t)>& body) {
  const char* launcher = np > 0 ? nullptr : detect_launcher();
  if (launcher != nullptr) {
    g_description = std::string("started by ") + launcher;
    lioncubComm_t comm = nullptr;
    if (lioncubCommInitFromEnv(&comm) != lioncubSuccess) {
      std::fprintf(stderr, "lioncubCommInitFromEnv: %s\n", lioncubGetLastErrorMessage());
      return 1;
    }
    return one_rank(comm, body);
  }
  if (np <= 0) np = default_np;
  g_description = "forked on loopback";
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
      ::_exit(one_rank(comm, body));
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
