#include "socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/random.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <string>

#include "error.h"
#include "params.h"

namespace lioncub::net {

void Fd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

namespace {

socklen_t addr_len(const sockaddr_storage& a) {
  return a.ss_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

Fd new_socket(int family) {
  int fd = ::socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) throw_errno("socket", errno);
  return Fd(fd);
}

void set_int(int fd, int level, int opt, int value, const char* what) {
  if (::setsockopt(fd, level, opt, &value, sizeof(value)) != 0) throw_errno(what, errno);
}

// SO_SNDBUF / SO_RCVBUF when set (0 = kernel autotuning). Settings raise values below 64 KiB.
void set_buffers(int fd, const Settings& s) {
  if (s.sndbuf > 0) set_int(fd, SOL_SOCKET, SO_SNDBUF, static_cast<int>(s.sndbuf), "SO_SNDBUF");
  if (s.rcvbuf > 0) set_int(fd, SOL_SOCKET, SO_RCVBUF, static_cast<int>(s.rcvbuf), "SO_RCVBUF");
}

}  // namespace

Fd listen_on(const sockaddr_storage& addr, sockaddr_storage* bound, const Settings& s) {
  Fd fd = new_socket(addr.ss_family);
  set_buffers(fd.get(), s);
  set_int(fd.get(), SOL_SOCKET, SO_REUSEADDR, 1, "setsockopt(SO_REUSEADDR)");
  sockaddr_storage a = addr;
  if (a.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&a)->sin6_port = 0;
  } else {
    reinterpret_cast<sockaddr_in*>(&a)->sin_port = 0;
  }
  if (::bind(fd.get(), reinterpret_cast<sockaddr*>(&a), addr_len(a)) != 0) {
    throw_errno("bind", errno);
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) throw_errno("listen", errno);
  socklen_t len = sizeof(*bound);
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(bound), &len) != 0) {
    throw_errno("getsockname", errno);
  }
  return fd;
}

Fd start_connect(const sockaddr_storage& addr, const Settings& s) {
  Fd fd = new_socket(addr.ss_family);
  set_buffers(fd.get(), s);
  if (::connect(fd.get(), reinterpret_cast<const sockaddr*>(&addr), addr_len(addr)) != 0 &&
      errno != EINPROGRESS) {
    // Report through connect_status so the caller's retry logic sees the errno.
    int err = errno;
    fd.reset();
    errno = err;
    return fd;
  }
  return fd;
}

int connect_status(int fd) {
  int err = 0;
  socklen_t len = sizeof(err);
  if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return errno;
  if (err != 0) return err;
  sockaddr_storage peer;
  socklen_t plen = sizeof(peer);
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) != 0) {
    return errno == ENOTCONN ? EINPROGRESS : errno;
  }
  return 0;
}

void set_stream_options(int fd, const Settings& s) {
  set_int(fd, IPPROTO_TCP, TCP_NODELAY, 1, "setsockopt(TCP_NODELAY)");
  set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "setsockopt(SO_KEEPALIVE)");
  const int idle_s = static_cast<int>(std::max<int64_t>(1, s.stall_timeout_ms / 3000));
  set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, idle_s, "setsockopt(TCP_KEEPIDLE)");
  set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, idle_s, "setsockopt(TCP_KEEPINTVL)");
  set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, 3, "setsockopt(TCP_KEEPCNT)");
  // Unacknowledged data older than the stall timeout kills the connection (dead host).
  set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, static_cast<int>(s.stall_timeout_ms),
          "setsockopt(TCP_USER_TIMEOUT)");
}

size_t send_some(int fd, const void* data, size_t len, bool more, bool* would_block) {
  *would_block = false;
  for (;;) {
    ssize_t n = ::send(fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT | (more ? MSG_MORE : 0));
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *would_block = true;
      return 0;
    }
    throw_errno("send", errno);
  }
}

size_t recv_some(int fd, void* data, size_t len, bool* would_block, bool* eof) {
  *would_block = false;
  *eof = false;
  for (;;) {
    ssize_t n = ::recv(fd, data, len, MSG_DONTWAIT);
    if (n > 0) return static_cast<size_t>(n);
    if (n == 0) {
      *eof = len > 0;
      return 0;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      *would_block = true;
      return 0;
    }
    throw_errno("recv", errno);
  }
}

uint64_t random_u64() {
  for (;;) {
    uint64_t v = 0;
    ssize_t n = ::getrandom(&v, sizeof(v), 0);
    if (n == static_cast<ssize_t>(sizeof(v)) && v != 0) return v;
    if (n < 0 && errno != EINTR) throw_errno("getrandom", errno);
  }
}

int64_t now_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

}  // namespace lioncub::net
