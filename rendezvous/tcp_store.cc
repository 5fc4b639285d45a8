#include "rendezvous/tcp_store.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <cstdlib>

#include "common/error.h"
#include "common/clock.h"

namespace lioncub::rendezvous {


namespace {

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

constexpr uint32_t kMaxField = 1u << 20;  // keys and values are small (listen handles)

void put_u32(std::vector<uint8_t>* b, uint32_t x) {
  for (int i = 0; i < 4; ++i) b->push_back(static_cast<uint8_t>(x >> (8 * i)));
}
uint32_t get_u32(const uint8_t* p) {
  return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

// Blocking read of exactly n bytes with a poll deadline; false on EOF, error or timeout.
bool read_exact(int fd, void* p, size_t n, double deadline_s) {
  auto* b = static_cast<uint8_t*>(p);
  while (n > 0) {
    const double left = deadline_s - now_s();
    if (left <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    const int rc = ::poll(&pfd, 1, static_cast<int>(left * 1000) + 1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return false;
    const ssize_t got = ::recv(fd, b, n, 0);
    if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (got <= 0) return false;
    b += got;
    n -= static_cast<size_t>(got);
  }
  return true;
}

bool write_exact(int fd, const void* p, size_t n, double deadline_s) {
  auto* b = static_cast<const uint8_t*>(p);
  while (n > 0) {
    const double left = deadline_s - now_s();
    if (left <= 0) return false;
    pollfd pfd{fd, POLLOUT, 0};
    const int rc = ::poll(&pfd, 1, static_cast<int>(left * 1000) + 1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) return false;
    const ssize_t put = ::send(fd, b, n, MSG_NOSIGNAL);
    if (put < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (put <= 0) return false;
    b += put;
    n -= static_cast<size_t>(put);
  }
  return true;
}

// Resolves host:port to the first address.
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

// ---- server ------------------------------------------------------------------------------------

StoreServer::StoreServer(const Endpoint& at) {
  socklen_t len = 0;
  sockaddr_storage ss = resolve(at, &len);
  // The wildcard address of the same family: MASTER_ADDR is often a name of this machine.
  if (ss.ss_family == AF_INET) {
    reinterpret_cast<sockaddr_in*>(&ss)->sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (ss.ss_family == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&ss)->sin6_addr = in6addr_any;
  }
  listen_fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) raise(lioncubSystemError, errno_text("store socket"));
  const int one = 1;
  ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::listen(listen_fd_, 256) != 0) {
    const std::string msg = errno_text(("rendezvous store: bind/listen on port " +
                                        std::to_string(at.port)).c_str());
    ::close(listen_fd_);
    raise(lioncubSystemError, msg);
  }
  port_ = at.port;
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    ::close(listen_fd_);
    raise(lioncubSystemError, errno_text("store eventfd"));
  }
  thread_ = std::thread([this] { serve(); });
}

StoreServer::~StoreServer() {
  stop_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::close(wake_fd_);
  ::close(listen_fd_);
}

void StoreServer::serve() {
  std::vector<int> clients;
  while (!stop_) {
    std::vector<pollfd> fds{{wake_fd_, POLLIN, 0}, {listen_fd_, POLLIN, 0}};
    for (int c : clients) fds.push_back({c, POLLIN, 0});
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[0].revents) break;
    if (fds[1].revents & POLLIN) {
      const int c = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (c >= 0) {
        const int one = 1;
        ::setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        clients.push_back(c);
      }
    }
    for (size_t i = 2; i < fds.size(); ++i) {
      if (fds[i].revents == 0) continue;
      if (!handle(fds[i].fd)) {
        ::close(fds[i].fd);
        std::erase(clients, fds[i].fd);
      }
    }
  }
  for (int c : clients) ::close(c);
}

void StoreServer::abort(int code, const std::string& why) {
  std::lock_guard<std::mutex> lock(abort_mu_);
  abort_.assign(1, static_cast<uint8_t>(code));
  abort_.insert(abort_.end(), why.begin(), why.end());
  has_abort_ = true;
}

// One request from a readable client; false drops the client (EOF, junk, or too slow).
bool StoreServer::handle(int fd) {
  const double deadline = now_s() + 5.0;  // a request is written at once; never wait long
  uint8_t head[5];
  if (!read_exact(fd, head, 5, deadline)) return false;
  const uint8_t op = head[0];
  const uint32_t keylen = get_u32(head + 1);
  if ((op != 1 && op != 2) || keylen > kMaxField) return false;
  std::string key(keylen, '\0');
  uint8_t lenbuf[4];
  if (!read_exact(fd, key.data(), keylen, deadline) || !read_exact(fd, lenbuf, 4, deadline)) {
    return false;
  }
  const uint32_t vallen = get_u32(lenbuf);
  if (vallen > kMaxField) return false;
  std::vector<uint8_t> val(vallen);
  if (!read_exact(fd, val.data(), vallen, deadline)) return false;
  std::vector<uint8_t> reply;
  if (op == 1) {
    data_[key] = std::move(val);
    reply.push_back(1);
    put_u32(&reply, 0);
  } else if (data_.find(key) == data_.end() && aborted()) {
    std::lock_guard<std::mutex> lock(abort_mu_);
    reply.push_back(2);
    put_u32(&reply, static_cast<uint32_t>(abort_.size()));
    reply.insert(reply.end(), abort_.begin(), abort_.end());
  } else {
    auto it = data_.find(key);
    reply.push_back(it != data_.end() ? 1 : 0);
    const std::vector<uint8_t> empty;
    const auto& v = it != data_.end() ? it->second : empty;
    put_u32(&reply, static_cast<uint32_t>(v.size()));
    reply.insert(reply.end(), v.begin(), v.end());
  }
  return write_exact(fd, reply.data(), reply.size(), deadline);
}

// ---- client ------------------------------------------------------------------------------------

StoreClient::StoreClient(const Endpoint& at, double deadline_s) : at_(at) {
  socklen_t len = 0;
  const sockaddr_storage ss = resolve(at, &len);
  for (;;) {
    fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) raise(lioncubSystemError, errno_text("store client socket"));
    if (::connect(fd_, reinterpret_cast<const sockaddr*>(&ss), len) == 0) break;
    const int err = errno;
    ::close(fd_);
    fd_ = -1;
    if (err != ECONNREFUSED && err != ECONNRESET && err != ETIMEDOUT && err != EINTR &&
        err != ENETUNREACH && err != EHOSTUNREACH) {
      errno = err;
      raise(lioncubSystemError,
            errno_text(("rendezvous: connect to " + at.host + ":" + std::to_string(at.port)).c_str()));
    }
    if (now_s() > deadline_s) {
      raise(lioncubTimeout, "rendezvous: no store answered at " + at.host + ":" +
                                std::to_string(at.port) +
                                " before the deadline (is rank 0 running? "
                                "LIONCUB_RENDEZVOUS_TIMEOUT_MS sets the wait)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

StoreClient::~StoreClient() {
  if (fd_ >= 0) ::close(fd_);
}

void StoreClient::send_all(const void* p, size_t n, double deadline_s) {
  if (!write_exact(fd_, p, n, deadline_s)) {
    raise(lioncubRemoteError, "rendezvous: the store at " + at_.host + ":" +
                                  std::to_string(at_.port) + " closed or stalled (did rank 0 exit?)");
  }
}

void StoreClient::recv_all(void* p, size_t n, double deadline_s) {
  if (!read_exact(fd_, p, n, deadline_s)) {
    raise(lioncubRemoteError, "rendezvous: the store at " + at_.host + ":" +
                                  std::to_string(at_.port) + " closed or stalled (did rank 0 exit?)");
  }
}

void StoreClient::set(const std::string& key, const std::vector<uint8_t>& value) {
  std::vector<uint8_t> req{1};
  put_u32(&req, static_cast<uint32_t>(key.size()));
  req.insert(req.end(), key.begin(), key.end());
  put_u32(&req, static_cast<uint32_t>(value.size()));
  req.insert(req.end(), value.begin(), value.end());
  const double deadline = now_s() + 30.0;
  send_all(req.data(), req.size(), deadline);
  uint8_t reply[5];
  recv_all(reply, 5, deadline);
}

bool StoreClient::try_get(const std::string& key, std::vector<uint8_t>* value, double deadline_s) {
  std::vector<uint8_t> req{2};
  put_u32(&req, static_cast<uint32_t>(key.size()));
  req.insert(req.end(), key.begin(), key.end());
  put_u32(&req, 0);
  send_all(req.data(), req.size(), deadline_s);
  uint8_t head[5];
  recv_all(head, 5, deadline_s);
  const uint32_t n = get_u32(head + 1);
  if (n > kMaxField) raise(lioncubRemoteError, "rendezvous: junk reply from the store");
  value->resize(n);
  recv_all(value->data(), n, deadline_s);
  if (head[0] == 2 && !value->empty()) {
    raise(static_cast<lioncubResult_t>((*value)[0]),
          "rank 0 gave up the rendezvous: " + std::string(value->begin() + 1, value->end()));
  }
  return head[0] == 1;
}

std::vector<uint8_t> StoreClient::get(const std::string& key, double deadline_s,
                                      const std::string& who) {
  std::vector<uint8_t> value;
  for (int tries = 0;; ++tries) {
    if (try_get(key, &value, std::max(deadline_s, now_s() + 5.0))) return value;
    if (now_s() > deadline_s) {
      raise(lioncubTimeout, "rendezvous at " + at_.host + ":" + std::to_string(at_.port) + ": " +
                                who + " did not arrive before the deadline (key '" + key +
                                "'; LIONCUB_RENDEZVOUS_TIMEOUT_MS sets the wait)");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(tries < 50 ? 2 : 20));
  }
}

}  // namespace lioncub::rendezvous
