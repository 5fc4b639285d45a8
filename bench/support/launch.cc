#include "support/launch.h"

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <vector>

#include "support/launcher_env.h"
#include "support/process.h"  // tests/support/: fork, reap, free ports

namespace lioncub::bench {
namespace {

std::string g_description = "not started";

// One rank's life after its communicator exists: the body, then destroy. Returns the body's status.
int one_rank(lioncubComm_t comm, const std::function<int(lioncubComm_t)>& body) {
  const int rc = body(comm);
  lioncubCommDestroy(comm);
  std::fflush(nullptr);
  return rc;
}

}  // namespace

int free_loopback_port() {
  const int port = test::forked::free_port();
  if (port == 0) {
    std::perror("lioncub: no free loopback port");
    std::exit(1);
  }
  return port;
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
  const std::string root = test::forked::loopback(free_loopback_port());
  std::vector<pid_t> pids;
  int status = 0;
  for (int r = 0; r < np && status == 0; ++r) {
    try {
      pids.push_back(test::forked::spawn_status([&] {
        lioncubComm_t comm = nullptr;
        if (lioncubCommInitHost(&comm, np, r, np > 1 ? root.c_str() : nullptr) != lioncubSuccess) {
          std::fprintf(stderr, "rank %d: lioncubCommInitHost: %s\n", r, lioncubGetLastErrorMessage());
          return 1;
        }
        return one_rank(comm, body);
      }));
    } catch (const std::exception& e) {  // the ranks already started fail at the rendezvous
      std::fprintf(stderr, "lioncub: rank %d: %s\n", r, e.what());
      status = 1;
    }
  }
  for (pid_t pid : pids) {
    // The tools run as long as they are asked to: no deadline (a year).
    const int rc = test::forked::reap(pid, 365.0 * 24 * 3600);
    const int code = rc >= 0 ? rc : 128 - rc;  // -signal -> 128 + signal, as a shell reports it
    if (code != 0 && status == 0) status = code;
  }
  return status;
}

}  // namespace lioncub::bench
