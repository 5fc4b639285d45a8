#include "progress.h"

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <exception>
#include <string>

#include "error.h"
#include "log.h"

namespace lioncub::net {

Worker::Worker(StreamHandler& handler, int id) : handler_(handler), id_(id) {
  epoll_ = Fd(::epoll_create1(EPOLL_CLOEXEC));
  if (!epoll_.valid()) throw_errno("epoll_create1", errno);
  event_ = Fd(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC));
  if (!event_.valid()) throw_errno("eventfd", errno);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.ptr = nullptr;
  if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, event_.get(), &ev) != 0) {
    throw_errno("epoll_ctl(eventfd)", errno);
  }
}

Worker::~Worker() { stop(); }

void Worker::start() { thread_ = std::thread([this] { run(); }); }

void Worker::stop() {
  stop_.store(true, std::memory_order_release);
  wake();
  if (thread_.joinable()) thread_.join();
}

void Worker::wake() {
  const uint64_t one = 1;
  // A full counter (never in practice) still leaves the eventfd readable: the wake is not lost.
  [[maybe_unused]] ssize_t n = ::write(event_.get(), &one, sizeof(one));
}

// Brings each stream's epoll registration in line with what the handler wants now. A stream that
// wants nothing is removed, so a closed or reset socket cannot report EPOLLHUP forever.
void Worker::rearm() {
  for (Pollable* s : streams_) {
    const uint32_t want = handler_.wanted_events(*s);
    if (want == 0) {
      if (s->registered) {
        ::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, s->fd.get(), nullptr);
        s->registered = false;
      }
      continue;
    }
    if (s->registered && want == s->armed) continue;
    epoll_event ev{};
    ev.events = want;
    ev.data.ptr = s;
    const int op = s->registered ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(epoll_.get(), op, s->fd.get(), &ev) != 0) {
      handler_.fail(abi::ncclSystemError, "epoll_ctl failed on a stream with peer " + handler_.peer());
      return;
    }
    s->registered = true;
    s->armed = want;
  }
}

// The loop body never lets an exception escape the thread (that would std::terminate the
// whole NCCL process): any failure, e.g. bad_alloc while re-arming or checking stalls, fails
// the handler instead and the worker keeps serving wake-ups until it is stopped.
void Worker::run() {
  constexpr int kMaxEvents = 32;
  epoll_event events[kMaxEvents];
  while (!stop_.load(std::memory_order_acquire)) {
    try {
      rearm();
      const bool busy = !handler_.failed() && handler_.busy(streams_);
      const int timeout = busy ? static_cast<int>(handler_.tick_ms()) : -1;
      const int n = ::epoll_wait(epoll_.get(), events, kMaxEvents, timeout);
      if (n < 0) {
        if (errno == EINTR) continue;
        handler_.fail(abi::ncclSystemError, "epoll_wait failed in worker " + std::to_string(id_));
        break;
      }
      for (int i = 0; i < n; ++i) {
        if (events[i].data.ptr == nullptr) {
          uint64_t count;
          [[maybe_unused]] ssize_t r = ::read(event_.get(), &count, sizeof(count));
          continue;
        }
        if (!handler_.failed()) {
          handler_.service(*static_cast<Pollable*>(events[i].data.ptr), events[i].events);
        }
      }
      if (busy && !handler_.failed()) handler_.check_stalls(streams_, now_ms());
    } catch (const std::exception& e) {
      fail_quietly(e.what());
    } catch (...) {
      fail_quietly("unknown exception");
    }
  }
}

void Worker::fail_quietly(const char* what) noexcept {
  try {
    handler_.fail(abi::ncclSystemError,
               std::string("progress worker ") + std::to_string(id_) + " failed: " + what);
  } catch (...) {
  }
}

}  // namespace lioncub::net
