#include "security_util.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>

#include "rendezvous/wire.h"

namespace lioncub::test {

using namespace rendezvous;

namespace {

int listen_loopback(int* port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  ::listen(fd, 128);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  *port = ntohs(a.sin_port);
  return fd;
}

// Waits up to 50 ms for the fd to be readable (so loops can notice `stop`).
bool readable(int fd) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, 50) > 0;
}

bool read_n(int fd, uint8_t* p, size_t n, const std::atomic<bool>& stop) {
  while (n > 0) {
    if (stop) return false;
    if (!readable(fd)) continue;
    const ssize_t k = ::recv(fd, p, n, 0);
    if (k <= 0) return false;
    p += k;
    n -= static_cast<size_t>(k);
  }
  return true;
}

bool read_frame(int fd, std::vector<uint8_t>* f, const std::atomic<bool>& stop) {
  f->resize(4);
  if (!read_n(fd, f->data(), 4, stop)) return false;
  const uint32_t len = wire::get_u32(f->data());
  if (len > (64u << 20)) return false;
  f->resize(4 + len);
  return read_n(fd, f->data() + 4, len, stop);
}

bool write_all(int fd, const std::vector<uint8_t>& f) {
  return ::send(fd, f.data(), f.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(f.size());
}

uint64_t mix(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

}  // namespace

int raw_connect(int port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return -1;
  }
  return fd;
}

long rss_kib() {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return -1;
}

std::string raw_hello(int port, const std::string& job, uint32_t rank, uint32_t nranks) {
  const int fd = raw_connect(port);
  if (fd < 0) return "no connection";
  wire::Request q;
  q.op = wire::kHello;
  q.key = job;
  q.a = rank;
  q.b = nranks;
  q.value.assign(wire::kNonce, 7);
  wire::Session s;
  write_all(fd, wire::encode(q, s));
  std::vector<uint8_t> f;
  std::atomic<bool> stop{false};
  std::string out = "no reply";
  if (read_frame(fd, &f, stop)) {
    wire::Reply r;
    std::string why;
    s.nc.fill(7);
    if (!wire::decode(f.data() + 4, f.size() - 4, s, &r, &why))
      out = "junk: " + why;
    else
      out = r.status == wire::kRefused ? std::string(r.value.begin(), r.value.end()) : "";
  }
  ::close(fd);
  return out;
}

Squatter::Squatter(std::vector<std::vector<uint8_t>> frames) : frames_(std::move(frames)) {
  fd_ = listen_loopback(&port_);
  thread_ = std::thread([this] {
    while (!stop_) {
      if (!readable(fd_)) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      std::vector<uint8_t> f;
      for (const auto& reply : frames_) {
        if (!read_frame(c, &f, stop_)) break;
        write_all(c, reply);
      }
      while (!stop_ && read_frame(c, &f, stop_)) {
      }
      ::close(c);
    }
  });
}

Squatter::~Squatter() {
  stop_ = true;
  thread_.join();
  ::close(fd_);
}

std::vector<std::vector<std::vector<uint8_t>>> junk_replies() {
  wire::Session s;  // no secret
  auto reply = [&](uint8_t status, uint64_t seq, std::vector<uint8_t> v) {
    wire::Reply r;
    r.status = status;
    r.seq = seq;
    r.value = std::move(v);
    return wire::encode(r, s);
  };
  const std::vector<uint8_t> ok_hello = reply(wire::kOk, 0, std::vector<uint8_t>(32, 3));
  auto text = [](uint8_t code, const std::string& t) {
    std::vector<uint8_t> v{code};
    v.insert(v.end(), t.begin(), t.end());
    return v;
  };
  const std::string evil = "evil\x1b[2J\r\n\x07 text\x7f";
  std::vector<uint8_t> huge{0xff, 0xff, 0xff, 0xff, 2, 0};
  std::vector<uint8_t> half = reply(wire::kValue, 1, std::vector<uint8_t>(128, 1));
  half.resize(half.size() / 2);
  return {
      {reply(9, 0, {})},                                  // a status outside the protocol
      {reply(wire::kAborted, 0, text(0, "zero code"))},   // abort with code 0 (was success)
      {reply(wire::kAborted, 0, text(200, "code 200"))},  // abort with a code outside the enum
      {reply(wire::kAborted, 0, text(4, evil))},          // control characters in the reason
      {reply(wire::kRefused, 0, text('x', evil))},
      {reply(wire::kOk, 0, {})},               // hello without nonces
      {ok_hello, reply(wire::kValue, 1, {})},  // a get "found" without data
      {ok_hello, reply(wire::kValue, 1, std::vector<uint8_t>(10, 1))},   // fewer bytes than asked
      {ok_hello, reply(wire::kOk, 1, {})},                               // "ok" to a get
      {ok_hello, reply(wire::kValue, 5, std::vector<uint8_t>(128, 1))},  // another request's seq
      {ok_hello, reply(wire::kAborted, 1, text(0, ""))},  // abort with code 0, no reason
      {huge},                                             // a 4 GiB reply announced
      {ok_hello, half},                                   // half a reply, then silence
      {{1, 0, 0}},                                        // a partial length prefix
  };
}

Relay::Relay(int port, Mode mode, uint64_t seed) : store_port_(port), mode_(mode), seed_(seed) {
  fd_ = listen_loopback(&port_);
  accept_thread_ = std::thread([this] {
    int conn = 0;
    while (!stop_) {
      if (!readable(fd_)) continue;
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      int s = raw_connect(store_port_);
      for (int tries = 0; s < 0 && tries < 250 && !stop_; ++tries) {  // the store may start later
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        s = raw_connect(store_port_);
      }
      if (s < 0) {
        ::close(c);
        continue;
      }
      std::lock_guard<std::mutex> lock(mu_);
      fds_.push_back(c);
      fds_.push_back(s);
      threads_.emplace_back([this, c, s, conn] { pump(c, s, false, conn); });
      threads_.emplace_back([this, c, s, conn] { pump(s, c, true, conn); });
      ++conn;
    }
  });
}

void Relay::pump(int from, int to, bool to_client, int conn) {
  std::vector<uint8_t> f, previous;
  uint64_t rng = mix(seed_ * 1000003 + static_cast<uint64_t>(conn) * 2 + (to_client ? 1 : 0));
  while (read_frame(from, &f, stop_)) {
    const bool value_reply = to_client && f.size() > 4 + 13 + 100;
    const bool set_request = !to_client && f.size() > 4 + 100;
    std::vector<uint8_t> out = f;
    if ((mode_ == kFlipReply && value_reply) || (mode_ == kFlipRequest && set_request)) {
      rng = mix(rng);
      const size_t at = 4 + rng % (f.size() - 4);
      out[at] ^= static_cast<uint8_t>(1u << (rng >> 60 & 7));
      ++altered_;
    } else if (mode_ == kReplayReply && to_client && !previous.empty() && value_reply) {
      out = previous;
      ++altered_;
    } else if (mode_ == kSpliceReply && value_reply) {
      std::lock_guard<std::mutex> lock(mu_);
      if (!last_value_frame_.empty() && last_value_conn_ != conn &&
          last_value_frame_.size() == f.size()) {
        out = last_value_frame_;
        ++altered_;
      }
      last_value_frame_ = f;
      last_value_conn_ = conn;
    }
    if (to_client) previous = f;
    if (!write_all(to, out)) break;
  }
  ::shutdown(to, SHUT_RDWR);
  ::shutdown(from, SHUT_RDWR);
}

Relay::~Relay() {
  stop_ = true;
  accept_thread_.join();
  for (auto& t : threads_) t.join();
  for (int fd : fds_) ::close(fd);
  ::close(fd_);
}

}  // namespace lioncub::test
