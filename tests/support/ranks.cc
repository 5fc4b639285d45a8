#include "support/ranks.h"

#include <cstdlib>
#include <exception>
#include <memory>

#include "common/clock.h"

namespace lioncub::test {

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
  using forked::Pipe;
  std::vector<std::unique_ptr<Pipe>> errors;  // each rank's message, written when it fails
  std::vector<pid_t> pids;
  for (int rank : ranks) {
    errors.push_back(std::make_unique<Pipe>());
    Pipe& out = *errors.back();
    pids.push_back(spawn_status([&]() -> int {
      out.close_read();
      std::string err;
      try {
        err = body(rank);
      } catch (const std::exception& e) {
        err = std::string("exception: ") + e.what();
      }
      if (err.empty()) return 0;
      err = "rank " + std::to_string(rank) + ": " + err;
      try {
        out.write_all(err.data(), err.size());
      } catch (const std::exception&) {
      }
      return 1;
    }));
    out.close_write();
  }
  // One deadline for all: a rank still running when it passes is a hang.
  const double deadline = now_s() + timeout_s;
  std::vector<std::string> result(ranks.size());
  for (size_t i = 0; i < pids.size(); ++i) {
    const int rc = reap(pids[i], deadline - now_s());
    const std::string who = "rank " + std::to_string(ranks[i]);
    if (rc == forked::kReapTimedOut) result[i] = who + " timed out (hang)";
    else if (rc < 0) result[i] = who + " killed by signal " + std::to_string(-rc);
    else if (rc != 0) {
      result[i] = errors[i]->read_to_end();
      if (result[i].empty()) result[i] = who + " exited " + std::to_string(rc);
    }
  }
  return result;
}

std::vector<std::string> run_all(int nranks, const std::function<std::string(int rank)>& body,
                                 double timeout_s) {
  std::vector<int> ranks;
  for (int r = 0; r < nranks; ++r) ranks.push_back(r);
  return run_ranks(ranks, body, timeout_s);
}

std::vector<std::string> run_with_comms(int nranks,
                                        const std::function<std::string(int rank, lioncubComm_t comm)>& body,
                                        double timeout_s) {
  const std::string rendezvous = loopback(free_port());
  return run_all(
      nranks,
      [&](int rank) -> std::string {
        lioncubComm_t comm = nullptr;
        const lioncubResult_t rc =
            lioncubCommInitHost(&comm, nranks, rank, nranks > 1 ? rendezvous.c_str() : nullptr);
        if (rc != lioncubSuccess) return "init: " + describe(rc);
        std::string err = body(rank, comm);
        // After a failure the rank exits with its communicator (an optimizer the body left
        // behind may still use it); destroying it could turn the message into a crash.
        if (err.empty()) lioncubCommDestroy(comm);
        return err;
      },
      timeout_s);
}

}  // namespace lioncub::test
