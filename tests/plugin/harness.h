// Shared helpers for the ABI tests: the plugin loaded once, forked peers, handle exchange over a
// pipe, and an in-process connect/accept pair.
#pragma once

#include <sys/types.h>

#include <functional>
#include <span>
#include <stdexcept>
#include <string>

#include "driver/driver.h"
#include "driver/pattern.h"

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

// A pipe whose ends survive fork; bytes with deadlines.
class Pipe {
 public:
  Pipe();
  ~Pipe();
  void write_all(const void* data, size_t size);
  void read_all(void* data, size_t size, double timeout_s = kTimeout);
  void send_handle(const driver::Handle& h) { write_all(h.data(), h.size()); }
  driver::Handle receive_handle();

 private:
  int fds_[2] = {-1, -1};
};

// Forks; the child runs body and _exits 0, or 1 after printing the exception.
pid_t spawn(const std::function<void()>& body);
// Waits for the child; kills it after timeout_s. Returns its exit code, or -signal.
int reap(pid_t pid, double timeout_s = kTimeout);

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
