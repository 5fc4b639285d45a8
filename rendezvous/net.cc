#include "rendezvous/net.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "common/clock.h"
#include "common/error.h"
#include "rendezvous/store_server.h"

namespace lioncub::rendezvous {

namespace {

std::string errno_text(const std::string& what) {
  return what + ": " + std::strerror(errno);
}

// Milliseconds to wait for, clamped to [0, 1000]: callers loop until their deadline.
int wait_ms(double deadline_s) {
  const double left = deadline_s - now_s();
  if (!(left > 0)) return 0;
  return static_cast<int>(std::min(left, 1.0) * 1000.0) + 1;
}

sockaddr_storage resolve(const Endpoint& at, socklen_t* len) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(at.port);
  const int rc = ::getaddrinfo(at.host.c_str(), port.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    raise(lioncubInvalidArgument,
          "rendezvous host '" + at.host + "' does not resolve: " + ::gai_strerror(rc));
  }
  sockaddr_storage ss{};
  std::memcpy(&ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  ::freeaddrinfo(res);
  return ss;
}

}  // namespace

Endpoint parse_endpoint(const std::string& text) {
  Endpoint e;
  size_t colon = std::string::npos;
  if (!text.empty() && text[0] == '[') {
    const size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      raise(lioncubInvalidArgument, "rendezvous '" + text + "': want [v6addr]:port");
    }
    e.host = text.substr(1, close - 1);
    colon = close + 1;
  } else {
    colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      raise(lioncubInvalidArgument, "rendezvous '" + text + "': want host:port");
    }
    e.host = text.substr(0, colon);
  }
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  if (port.empty() || *end != '\0' || p < 1 || p > 65535) {
    raise(lioncubInvalidArgument, "rendezvous '" + text + "': port must be 1..65535");
  }
  e.port = static_cast<int>(p);
  return e;
}

std::string to_string(const Endpoint& e) {
  return (e.host.find(':') != std::string::npos ? "[" + e.host + "]" : e.host) + ":" +
         std::to_string(e.port);
}

int listen_on(const Endpoint& at, bool any, int* port) {
  Endpoint where = at;
  const char* bind = std::getenv("LIONCUB_STORE_BIND");
  if (bind != nullptr && *bind != '\0' && std::strcmp(bind, "any") != 0) where.host = bind;
  any = any || (bind != nullptr && std::strcmp(bind, "any") == 0) || where.host == "*";
  if (where.host == "*") where.host = "0.0.0.0";
  socklen_t len = 0;
  sockaddr_storage ss = resolve(where, &len);
  if (any && ss.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (any && ss.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr = in6addr_any;
  }
  const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) raise(lioncubSystemError, errno_text("rendezvous store: socket"));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(fd, 1024) != 0) {
    const int err = errno;
    ::close(fd);
    errno = err;
    std::string msg = errno_text("rendezvous store: bind/listen on " + to_string(where));
    if (err == EADDRINUSE) msg += " (another job's store, or another rank 0, holds the port)";
    if (err == EADDRNOTAVAIL)
      msg += " (not an address of this host; LIONCUB_STORE_BIND=any binds all)";
    raise(lioncubSystemError, msg);
  }
  sockaddr_storage got{};
  socklen_t glen = sizeof got;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&got), &glen);
  *port = ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                          : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  return fd;
}

int connect_to(const Endpoint& at, double deadline_s) {
  socklen_t len = 0;
  const sockaddr_storage ss = resolve(at, &len);
  for (;;) {
    const int fd = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) raise(lioncubSystemError, errno_text("rendezvous: socket"));
    int err = 0;
    if (::connect(fd, reinterpret_cast<const sockaddr*>(&ss), len) != 0) {
      err = errno;
      if (err == EINPROGRESS) {
        pollfd p{fd, POLLOUT, 0};
        while (::poll(&p, 1, wait_ms(deadline_s)) == 0 && now_s() < deadline_s) {
        }
        socklen_t elen = sizeof err;
        err = ETIMEDOUT;
        if (p.revents != 0) ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen);
      }
    }
    if (err == 0) {
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      return fd;
    }
    ::close(fd);
    if (err != ECONNREFUSED && err != ECONNRESET && err != ETIMEDOUT && err != EINTR &&
        err != ENETUNREACH && err != EHOSTUNREACH && err != EAGAIN) {
      errno = err;
      raise(lioncubSystemError, errno_text("rendezvous: connect to " + to_string(at)));
    }
    if (now_s() > deadline_s) {
      raise(lioncubTimeout, "rendezvous: no store answered at " + to_string(at) +
                                " before the deadline (is rank 0 running? rank 0 binds the address "
                                "this name has on its host; LIONCUB_RENDEZVOUS_TIMEOUT_MS sets "
                                "the wait)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool read_exact(int fd, void* p, size_t n, double deadline_s) {
  auto* b = static_cast<uint8_t*>(p);
  while (n > 0) {
    const ssize_t got = ::recv(fd, b, n, 0);
    if (got > 0) {
      b += got;
      n -= static_cast<size_t>(got);
      continue;
    }
    if (got == 0) return false;
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) return false;
    if (now_s() >= deadline_s) return false;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, wait_ms(deadline_s)) < 0 && errno != EINTR) return false;
  }
  return true;
}

bool write_exact(int fd, const void* p, size_t n, double deadline_s) {
  auto* b = static_cast<const uint8_t*>(p);
  while (n > 0) {
    const ssize_t put = ::send(fd, b, n, MSG_NOSIGNAL);
    if (put > 0) {
      b += put;
      n -= static_cast<size_t>(put);
      continue;
    }
    if (put < 0 && errno == EINTR) continue;
    if (put == 0 || (errno != EAGAIN && errno != EWOULDBLOCK)) return false;
    if (now_s() >= deadline_s) return false;
    pollfd pfd{fd, POLLOUT, 0};
    if (::poll(&pfd, 1, wait_ms(deadline_s)) < 0 && errno != EINTR) return false;
  }
  return true;
}

}  // namespace lioncub::rendezvous
