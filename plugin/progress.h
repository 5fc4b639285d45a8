// Progress threads. Each comm owns `threads` workers; each worker owns some of the comm's
// streams and sleeps in epoll_wait on them plus an eventfd (the wake-up line). Interest is
// re-armed from the streams' state after every wake-up, so an idle stream is never polled and
// nothing spins. While bytes are in flight the wait has a tick so the stall deadline is seen.
#pragma once

#include <atomic>
#include <thread>
#include <vector>

#include "socket.h"

namespace lioncub::net {

class Comm;
struct Stream;

class Worker {
 public:
  Worker(Comm& comm, int id);
  ~Worker();  // stops and joins
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void add(Stream* s) { streams_.push_back(s); }
  void start();
  void stop();
  void wake();  // safe from any thread

 private:
  void run();
  void rearm();
  void fail_quietly(const char* what) noexcept;

  Comm& comm_;
  int id_;
  Fd epoll_;
  Fd event_;
  std::vector<Stream*> streams_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lioncub::net
