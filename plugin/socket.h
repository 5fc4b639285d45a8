// RAII file descriptors and the few socket operations the transport needs. Every socket is
// non-blocking; waiting is done by callers (epoll in the workers, deadlines in connect/accept).
#pragma once

#include <sys/socket.h>

#include <cstdint>
#include <utility>

namespace lioncub::net {

struct Settings;

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) reset(std::exchange(o.fd_, -1));
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// A listening TCP socket bound to `addr` with port 0; `bound` receives the chosen port. The
// buffer sizes of `s` are set on it before listen(), so accepted streams inherit them (the
// window scale is fixed by the handshake; setting them after accept is too late).
Fd listen_on(const sockaddr_storage& addr, sockaddr_storage* bound, const Settings& s);

// Starts a non-blocking connect, with the buffer sizes of `s` set before connect() for the
// same reason. Returns the socket; the connect may still be in progress.
Fd start_connect(const sockaddr_storage& addr, const Settings& s);

// 0 when connected, EINPROGRESS while pending, else the connect's errno.
int connect_status(int fd);

// Options every connected transport stream gets: TCP_NODELAY, keepalive, TCP_USER_TIMEOUT.
void set_stream_options(int fd, const Settings& s);

// Writes/reads what fits now. Return bytes moved; 0 with *would_block for EAGAIN; throws on
// errors (peer reset -> ncclRemoteError). recv_some sets *eof on an orderly shutdown.
size_t send_some(int fd, const void* data, size_t len, bool more, bool* would_block);
size_t recv_some(int fd, void* data, size_t len, bool* would_block, bool* eof);

// Kernel randomness (getrandom); never 0.
uint64_t random_u64();

int64_t now_ms();

}  // namespace lioncub::net
