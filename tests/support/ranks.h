// P forked ranks over loopback for the tests of the collectives, the optimizer and the faults:
// each rank runs a body that returns "" on success or what went wrong; the parent collects one
// message per rank (the body's, a crash, or a hang after the timeout). Built on process.h.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"
#include "support/process.h"

namespace lioncub::test {

using forked::free_port;
using forked::loopback;
using forked::reap;
using forked::spawn;
using forked::spawn_status;

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
// run_all with a host communicator of nranks ranks on a fresh loopback rendezvous, created
// before body(rank, comm) and destroyed after it succeeds (the body destroys what it created on
// the communicator first).
std::vector<std::string> run_with_comms(int nranks,
                                        const std::function<std::string(int rank, lioncubComm_t comm)>& body,
                                        double timeout_s = 90.0);

// "rc (name): message" for a failed call.
std::string describe(lioncubResult_t rc);

uint64_t splitmix64(uint64_t x);

}  // namespace lioncub::test
