#include "listen.h"

#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>

#include "auth.h"
#include "comm.h"
#include "error.h"
#include "handle.h"
#include "log.h"

namespace lioncub::net {
namespace {

constexpr size_t kMaxPending = 1024;

// A quarter of the soft open-file limit: a flood of silent connections then leaves the process
// three quarters of its descriptors for the connections it needs.
size_t pending_cap_for_limit() {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return kMaxPending;
  return std::clamp<size_t>(static_cast<size_t>(rl.rlim_cur / 4), 8, kMaxPending);
}

// 1, 10, 100, ...: a flood is reported without writing one line per connection.
bool worth_reporting(uint64_t count) {
  while (count >= 10 && count % 10 == 0) count /= 10;
  return count == 1;
}

}  // namespace

ListenComm::ListenComm(const sockaddr_storage& addr, const Settings& settings)
    : settings_(settings), nonce_(random_u64()), pending_cap_(pending_cap_for_limit()) {
  fd_ = listen_on(addr, &bound_, settings_);
  LIONCUB_NET_INFO(abi::NCCL_NET, "listening on %s (at most %zu connections awaiting a hello)",
                   format_address(bound_).c_str(), pending_cap_);
}

bool ListenComm::drop_oldest_pending(const char* why) {
  if (pending_.empty()) return false;
  static std::atomic<uint64_t> dropped{0};
  const uint64_t n = dropped.fetch_add(1) + 1;
  if (worth_reporting(n)) {
    LIONCUB_NET_WARN("listener %s: dropping the oldest connection awaiting its hello (from %s): "
                     "%s (%llu dropped so far in this process)", format_address(bound_).c_str(),
                     pending_.front()->peer.c_str(), why, static_cast<unsigned long long>(n));
  }
  pending_.pop_front();
  return true;
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
      if (errno == EMFILE || errno == ENFILE) {
        // The connection stays in the kernel's queue; free a descriptor and take it.
        if (drop_oldest_pending(errno == EMFILE ? "too many open files (EMFILE)"
                                                : "system file table full (ENFILE)")) {
          continue;
        }
      }
      throw_errno("accept on " + format_address(bound_), errno);
    }
    auto p = std::make_unique<Pending>();
    p->fd = Fd(fd);
    p->peer = format_address(peer);
    p->deadline_ms = now + settings_.connect_timeout_ms;
    // A peer that sent its hello with the connection is served now and never waits in line.
    if (read_hello(*p)) continue;
    if (pending_.size() >= pending_cap_) {
      drop_oldest_pending("too many connections await their hello");
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
    LIONCUB_NET_WARN("dropping connection from %s: %s", p.peer.c_str(), e.what());
    return true;
  }
  if (eof) {
    LIONCUB_NET_WARN("dropping connection from %s: closed before its hello", p.peer.c_str());
    return true;
  }
  p.got += n;
  std::string why;
  if (!hello_prefix_ok(wire::Bytes(p.hello, p.got), &why)) {
    LIONCUB_NET_WARN("dropping connection from %s: %s", p.peer.c_str(), why.c_str());
    return true;
  }
  if (p.got < kHelloSize) return false;
  auto h = parse_hello(wire::Bytes(p.hello, kHelloSize), &why);
  if (!h) {
    LIONCUB_NET_WARN("dropping connection from %s: %s", p.peer.c_str(), why.c_str());
    return true;
  }
  if (h->nonce != nonce_) {
    LIONCUB_NET_WARN("dropping connection from %s: hello carries the wrong nonce", p.peer.c_str());
    return true;
  }
  if (admit(p, *h)) file(p, *h);
  return true;
}

// The hello names this listener; is it from this job, and (with a secret) from a holder of it?
bool ListenComm::admit(Pending& p, const Hello& h) {
  if (h.job_hash != settings_.job_hash) {
    LIONCUB_NET_WARN("refusing connection from %s: it belongs to another job (job id hash "
                     "%016llx, ours %016llx for \"%s\")", p.peer.c_str(),
                     static_cast<unsigned long long>(h.job_hash),
                     static_cast<unsigned long long>(settings_.job_hash), settings_.job_id.c_str());
    refuse(p, h, AckStatus::kOtherJob);
    return false;
  }
  const bool want_auth = settings_.secret != nullptr;
  bool ok = h.authenticated == want_auth;
  if (ok && want_auth) {
    uint8_t want[kMacSize];
    compute_mac(*settings_.secret, wire::Bytes(p.hello, kHelloSignedSize), {}, want);
    ok = mac_equal(want, h.mac);
  }
  if (!ok) {
    LIONCUB_NET_WARN("refusing connection from %s: %s", p.peer.c_str(),
                     !h.authenticated ? "its hello is not authenticated and LIONCUB_SECRET is set here"
                     : !want_auth     ? "its hello is authenticated and LIONCUB_SECRET is not set here"
                                      : "its hello's MAC is wrong (another LIONCUB_SECRET)");
    refuse(p, h, AckStatus::kAuthFailed);
    return false;
  }
  return true;
}

// Tells the connector why (best effort: one non-blocking send) before the stream is closed.
// A refusal carries no MAC; forging one only makes a connection fail that would fail anyway.
void ListenComm::refuse(Pending& p, const Hello& h, AckStatus status) {
  Ack a;
  a.status = status;
  a.conn_id = h.conn_id;
  a.job_hash = settings_.job_hash;
  uint8_t out[kAckSize];
  encode_ack(a, wire::MutableBytes(out, kAckSize));
  bool wb = false;
  try {
    send_some(p.fd.get(), out, kAckSize, false, &wb);
  } catch (const NetError&) {
  }
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
    LIONCUB_NET_WARN("dropping connection from %s: hello disagrees with its connection's other "
                     "streams", p.peer.c_str());
    return;
  }
  if (h.kind == StreamKind::kControl) {
    if (g.have_control) {
      LIONCUB_NET_WARN("dropping connection from %s: second control stream", p.peer.c_str());
      return;
    }
    g.control = std::move(p.fd);
    g.have_control = true;
    g.control_hello = h;
    std::memcpy(g.control_bytes, p.hello, kHelloSize);
    g.peer = p.peer;
  } else {
    if (g.data[h.index].valid()) {
      LIONCUB_NET_WARN("dropping connection from %s: data stream %d twice", p.peer.c_str(), h.index);
      return;
    }
    g.data[h.index] = std::move(p.fd);
    ++g.have_data;
  }
}

std::unique_ptr<Comm> ListenComm::complete(Group& g) {
  Ack a;
  a.conn_id = g.control_hello.conn_id;
  a.job_hash = settings_.job_hash;
  uint8_t ack[kAckSize];
  auto out = wire::MutableBytes(ack, kAckSize);
  encode_ack(a, out);
  if (settings_.secret) {
    compute_mac(*settings_.secret, out.first(kAckSignedSize),
                wire::Bytes(g.control_bytes, kHelloSignedSize), ack + kAckMacOffset);
  }
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
  LIONCUB_NET_INFO(abi::NCCL_NET, "accepted connection from %s: %u data streams, chunk %u, "
                   "inline %u%s", g.peer.c_str(), cp.streams, g.control_hello.min_chunk,
                   cp.inline_max, settings_.secret ? ", authenticated" : "");
  return std::make_unique<Comm>(Comm::Kind::kRecv, std::move(fds), cp);
}

std::unique_ptr<Comm> ListenComm::try_accept() {
  const int64_t now = now_ms();
  accept_new(now);
  std::deque<std::unique_ptr<Pending>> waiting;
  for (auto& p : pending_) {
    bool finished = read_hello(*p);
    if (!finished && now > p->deadline_ms) {
      LIONCUB_NET_WARN("dropping connection from %s: no hello within %lld ms", p->peer.c_str(),
                       static_cast<long long>(settings_.connect_timeout_ms));
      finished = true;
    }
    if (!finished) waiting.push_back(std::move(p));
  }
  pending_.swap(waiting);
  for (auto it = groups_.begin(); it != groups_.end();) {
    Group& g = it->second;
    if (g.have_control && g.have_data == static_cast<int>(g.data.size())) {
      Group done = std::move(g);
      groups_.erase(it);
      return complete(done);
    }
    if (now > g.deadline_ms) {
      LIONCUB_NET_WARN("dropping incomplete connection from %s: %d of %zu data streams after "
                       "%lld ms", g.peer.c_str(), g.have_data, g.data.size(),
                       static_cast<long long>(settings_.connect_timeout_ms));
      it = groups_.erase(it);
    } else {
      ++it;
    }
  }
  return nullptr;
}

}  // namespace lioncub::net
