// Forked processes for lioncub's multi-process tests: fork a child, reap it with a deadline,
// talk to it over a pipe with deadlines, find a free loopback port. The one fork harness under
// the plugin's ABI tests, the collectives' and optimizer's ranks (ranks.h) and the fault tests.
// Nothing here knows lioncub: the plugin's tests use it without the library.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <string>

// In a namespace of its own so that a test's harness may build its own Pipe on this one (the
// plugin's carries listen handles); ranks.h brings the rest into lioncub::test.
namespace lioncub::test::forked {

// Forks; the child runs body and _exits with its return value, or 1 after printing an exception
// to stderr. stdio is flushed first so that buffered output is not written twice.
pid_t spawn_status(const std::function<int()>& body);
// The same for a body without a status: 0 when it returns.
pid_t spawn(const std::function<void()>& body);

constexpr int kReapFailed = -1000;    // waitpid failed (not our child)
constexpr int kReapTimedOut = -2000;  // killed after timeout_s
// Waits for the child; SIGKILLs it after timeout_s. Returns its exit code, or -signal.
int reap(pid_t pid, double timeout_s = 30.0);

// A pipe whose ends survive fork (create it before spawning); bytes with deadlines.
class Pipe {
 public:
  Pipe();
  ~Pipe();
  Pipe(Pipe&& other) noexcept;
  Pipe& operator=(Pipe&&) = delete;
  Pipe(const Pipe&) = delete;

  void write_all(const void* data, size_t size);  // throws when the reader is gone
  // Exactly `size` bytes within timeout_s; throws on timeout or end of file.
  void read_all(void* data, size_t size, double timeout_s = 30.0);
  // The same without throwing: false on timeout or end of file. `deadline` is now_s() based.
  bool read_until(void* data, size_t size, double deadline);
  // Everything until every writer has closed its end (after the writers exited).
  std::string read_to_end();

  int write_fd() const { return fds_[1]; }
  void close_read();
  void close_write();

 private:
  int fds_[2] = {-1, -1};
};

// A TCP port on 127.0.0.1 that was free a moment ago; "127.0.0.1:port".
int free_port();
std::string loopback(int port);

}  // namespace lioncub::test::forked
