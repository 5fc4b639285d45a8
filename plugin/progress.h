// Progress threads. Each comm owns `threads` workers; each worker owns some of the comm's
// streams and sleeps in epoll_wait on them plus an eventfd (the wake-up line). Interest is
// re-armed from the streams' state after every wake-up, so an idle stream is never polled and
// nothing spins. While bytes are in flight the wait has a tick so the stall deadline is seen.
//
// A worker knows its owner only through StreamHandler (as Gloo's tcp/loop.h knows its users
// only through an abstract Handler): the worker does not include comm.h, and the comm is the
// one place that knows what a stream's bytes mean.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "abi/common.h"
#include "socket.h"

namespace lioncub::net {

// What a worker needs of one stream: the socket and its epoll registration (worker-only state).
struct Pollable {
  Fd fd;
  uint32_t armed = 0;
  bool registered = false;
};

// The owner of a worker's streams. Called from the worker's thread only (fail from any thread).
class StreamHandler {
 public:
  // Epoll events the stream wants now; 0 = unregister it.
  virtual uint32_t wanted_events(Pollable& p) = 0;
  // The stream became ready with `events`; never throws (failures fail the handler).
  virtual void service(Pollable& p, uint32_t events) = 0;
  // Whether any of these streams has bytes in flight (the worker then waits with a tick).
  virtual bool busy(const std::vector<Pollable*>& streams) = 0;
  // Called every tick while busy: fail streams that made no progress for too long.
  virtual void check_stalls(const std::vector<Pollable*>& streams, int64_t now_ms) = 0;
  virtual bool failed() const = 0;
  virtual void fail(abi::ncclResult_t code, const std::string& msg) = 0;
  virtual int64_t tick_ms() const = 0;
  virtual const std::string& peer() const = 0;

 protected:
  ~StreamHandler() = default;  // never deleted through this interface
};

class Worker {
 public:
  Worker(StreamHandler& handler, int id);
  ~Worker();  // stops and joins
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  void add(Pollable* p) { streams_.push_back(p); }
  void start();
  void stop();
  void wake();  // safe from any thread

 private:
  void run();
  void rearm();
  void fail_quietly(const char* what) noexcept;

  StreamHandler& handler_;
  int id_;
  Fd epoll_;
  Fd event_;
  std::vector<Pollable*> streams_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace lioncub::net
