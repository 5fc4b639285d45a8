#include "listen.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <cerrno>

#include "comm.h"
#include "error.h"
#include "handle.h"
#include "log.h"

namespace lioncub::net {
namespace {
constexpr size_t kMaxPending = 1024;
}

ListenComm::ListenComm(const sockaddr_storage& addr, const Settings& settings)
    : settings_(settings), nonce_(random_u64()) {
  fd_ = listen_on(addr, &bound_);
  log_info("listening on %s", format_address(bound_).c_str());
}

void ListenComm::accept_new(int64_t now) {
  for (;;) {
    sockaddr_storage peer{};
    socklen_t len = sizeof(peer);
    int fd = ::accept4(fd_.get(), reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      throw_errno("accept on " + format_address(bound_), errno);
    }
    auto p = std::make_unique<Pending>();
    p->fd = Fd(fd);
    p->peer = format_address(peer);
    p->deadline_ms = now + settings_.connect_timeout_ms;
    if (pending_.size() >= kMaxPending) {
      log_warn("dropping connection from %s: %zu connections already await their hello",
               p->peer.c_str(), pending_.size());
      continue;
    }
    pending_.push_back(std::move(p));
  }
}

bool ListenComm::read_hello(Pending& p) {
  bool wb = false, eof = false;
  size_t n;
  try {
    n = recv_some(p.fd.get(), p.hello + p.got, kHelloSize - p.got, &wb, &eof);
  } catch (const NetError& e) {
    log_warn("dropping connection from %s: %s", p.peer.c_str(), e.what());
    return true;
  }
  if (eof) {
    log_warn("dropping connection from %s: closed before its hello", p.peer.c_str());
    return true;
  }
  p.got += n;
  if (p.got < kHelloSize) return false;
  std::string why;
  auto h = parse_hello(wire::Bytes(p.hello, kHelloSize), &why);
  if (!h) {
    log_warn("dropping connection from %s: %s", p.peer.c_str(), why.c_str());
    return true;
  }
  if (h->nonce != nonce_) {
    log_warn("dropping connection from %s: hello carries the wrong nonce", p.peer.c_str());
    return true;
  }
  file(p, *h);
  return true;
}

// Files a verified stream into its connection's group.
void ListenComm::file(Pending& p, const Hello& h) {
  Group& g = groups_[h.conn_id];
  if (g.data.empty()) {
    g.data.resize(h.streams);
    g.peer = p.peer;
    g.deadline_ms = p.deadline_ms;
    g.control_hello = h;
  }
  if (h.streams != g.control_hello.streams || h.min_chunk != g.control_hello.min_chunk ||
      h.inline_max != g.control_hello.inline_max) {
    log_warn("dropping connection from %s: hello disagrees with its connection's other streams",
             p.peer.c_str());
    return;
  }
  if (h.kind == StreamKind::kControl) {
    if (g.have_control) {
      log_warn("dropping connection from %s: second control stream", p.peer.c_str());
      return;
    }
    g.control = std::move(p.fd);
    g.have_control = true;
    g.peer = p.peer;
  } else {
    if (g.data[h.index].valid()) {
      log_warn("dropping connection from %s: data stream %d twice", p.peer.c_str(), h.index);
      return;
    }
    g.data[h.index] = std::move(p.fd);
    ++g.have_data;
  }
}

std::unique_ptr<Comm> ListenComm::complete(Group& g) {
  uint8_t ack[kAckSize];
  encode_ack(g.control_hello.conn_id, wire::MutableBytes(ack, kAckSize));
  bool wb = false;
  size_t n = send_some(g.control.get(), ack, kAckSize, false, &wb);
  if (n != kAckSize) throw_remote("could not acknowledge connection from " + g.peer);
  std::vector<Fd> fds;
  fds.push_back(std::move(g.control));
  for (Fd& fd : g.data) fds.push_back(std::move(fd));
  for (Fd& fd : fds) set_stream_options(fd.get(), settings_);
  CommParams cp;
  cp.streams = g.control_hello.streams;
  cp.min_chunk = g.control_hello.min_chunk;
  cp.inline_max = g.control_hello.inline_max;
  cp.threads = static_cast<int>(settings_.threads);
  cp.max_requests = static_cast<int>(settings_.max_requests);
  cp.stall_timeout_ms = settings_.stall_timeout_ms;
  cp.staging_bytes = static_cast<uint64_t>(settings_.staging_bytes);
  cp.peer = g.peer;
  cp.fault = settings_.fault;
  log_info("accepted connection from %s: %u data streams, chunk %u, inline %u", g.peer.c_str(),
           cp.streams, g.control_hello.min_chunk, cp.inline_max);
  return std::make_unique<Comm>(Comm::Kind::kRecv, std::move(fds), cp);
}

std::unique_ptr<Comm> ListenComm::try_accept() {
  const int64_t now = now_ms();
  accept_new(now);
  for (size_t i = 0; i < pending_.size();) {
    Pending& p = *pending_[i];
    bool finished = read_hello(p);
    if (!finished && now > p.deadline_ms) {
      log_warn("dropping connection from %s: no hello within %lld ms", p.peer.c_str(),
               static_cast<long long>(settings_.connect_timeout_ms));
      finished = true;
    }
    if (finished) {
      pending_[i] = std::move(pending_.back());
      pending_.pop_back();
    } else {
      ++i;
    }
  }
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = it->second;
    if (g.have_control && g.have_data == static_cast<int>(g.data.size())) {
      Group done = std::move(g);
      groups_.erase(it);
      return complete(done);
    }
    if (now > g.deadline_ms) {
      log_warn("dropping incomplete connection from %s: %d of %zu data streams after %lld ms",
               g.peer.c_str(), g.have_data, g.data.size(),
               static_cast<long long>(settings_.connect_timeout_ms));
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  return nullptr;
}

}  // namespace lioncub::net
