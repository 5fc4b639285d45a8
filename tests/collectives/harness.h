// Multi-process harness for the collectives: forks P ranks over loopback, each running a body
// that returns "" on success or a failure description; the parent collects exit codes.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::test {

// A TCP port on 127.0.0.1 that was free a moment ago.
int free_port();
std::string loopback(int port);

// Transport settings for small test machines (2 data streams, 1 thread per comm, loopback),
// unless the environment already sets them.
void set_test_transport_env();

// Forks one process per listed rank; body(rank) returns "" or an error. Returns, per listed rank,
// "" or what went wrong (the error, a crash, or "timed out" after timeout_s).
std::vector<std::string> run_ranks(const std::vector<int>& ranks,
                                   const std::function<std::string(int rank)>& body,
                                   double timeout_s = 90.0);
std::vector<std::string> run_all(int nranks, const std::function<std::string(int rank)>& body,
                                  double timeout_s = 90.0);

// "rc (name): message" for a failed call.
std::string describe(lioncubResult_t rc);

uint64_t splitmix64(uint64_t x);

}  // namespace lioncub::test
