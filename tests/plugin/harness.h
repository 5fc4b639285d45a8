// Shared helpers for the ABI tests: the plugin loaded once, handle exchange over a pipe, and an
// in-process connect/accept pair. Forked peers (spawn, reap, Pipe) are tests/support/process.h.
#pragma once

#include <span>
#include <stdexcept>
#include <string>

#include "driver/driver.h"
#include "driver/pattern.h"
#include "support/process.h"

namespace lioncub::test {

constexpr double kTimeout = 30.0;  // seconds, for any single wait

abi::ncclNet_v11_t* net();
const driver::Plugin& plugin();

// Throws (in a child: makes it exit 1 with the message) unless cond holds.
#define CHILD_REQUIRE(cond)                                                                   \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      throw std::runtime_error(std::string("requirement failed: " #cond " at ") + __FILE__ + \
                               ":" + std::to_string(__LINE__));                               \
    }                                                                                         \
  } while (0)

using forked::reap;
using forked::spawn;

// support/process.h's pipe that also carries the plugin's listen handles.
class Pipe : public forked::Pipe {
 public:
  void send_handle(const driver::Handle& h) { write_all(h.data(), h.size()); }
  driver::Handle receive_handle();
};

// Connects and accepts in this process by alternating the two non-blocking calls.
struct LocalPair {
  void* listen_comm = nullptr;
  void* send_comm = nullptr;
  void* recv_comm = nullptr;
};
LocalPair connect_locally(void* ctx);

inline std::span<const uint8_t> wire_bytes(const driver::Handle& h) { return {h.data(), h.size()}; }
void close_locally(const LocalPair& p);

}  // namespace lioncub::test
