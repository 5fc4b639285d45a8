#include "rendezvous/store_server.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>

#include "common/clock.h"
#include "common/error.h"
#include "rendezvous/net.h"
#include "rendezvous/wire.h"

namespace lioncub::rendezvous {

namespace {

struct Client {
  int fd = -1;
  double accepted_s = 0, last_s = 0, frame_start_s = 0;
  std::vector<uint8_t> in, out;
  size_t out_off = 0;
  bool hello = false, parked = false, closing = false, want_out = false;
  int rank = -1;
  wire::Session session;
  uint64_t next_seq = 1;
  wire::Request wait;  // the parked get
};

}  // namespace

struct StoreServer::Loop {
  StoreServer& s;
  int ep = -1;
  int reserve = -1;  // a spare descriptor for EMFILE (closed to accept and drop one connection)
  std::unordered_map<int, Client> clients;
  std::map<std::string, std::vector<uint8_t>> data;
  std::set<int> done_ranks;
  size_t total = 0;
  bool listening = true, finishing = false, aborted = false;
  double paused_until = 0;
  crypto::Key mac_key{};
  size_t frame_cap = 0;

  explicit Loop(StoreServer& server) : s(server) {}

  void watch(int fd, uint32_t events, int op) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    ::epoll_ctl(ep, op, fd, &ev);
  }

  void drop(int fd) {
    auto it = clients.find(fd);
    if (it == clients.end()) return;
    ::epoll_ctl(ep, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    clients.erase(it);
  }

  // The oldest connection that has not said hello (accepted before `before`), or -1.
  int oldest_stranger(double before) const {
    int fd = -1;
    double t = before;
    for (const auto& [cfd, c] : clients) {
      if (!c.hello && c.accepted_s < t) t = c.accepted_s, fd = cfd;
    }
    return fd;
  }

  void pause_accepting(double now) {
    if (listening) watch(s.listen_fd_, 0, EPOLL_CTL_MOD);
    listening = false;
    paused_until = now + 0.05;
  }

  void accept_all(double now) {
    for (int i = 0; i < 256; ++i) {  // a batch per wakeup: a flood cannot starve the clients
      if (clients.size() >= s.limits_.max_connections) {
        const int victim = oldest_stranger(now);
        if (victim < 0) return pause_accepting(now);
        drop(victim);
        ++s.dropped_;
      }
      const int fd = ::accept4(s.listen_fd_, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        if (errno == EMFILE || errno == ENFILE) {
          const int victim = oldest_stranger(now);
          if (victim >= 0) {
            drop(victim);
          } else if (reserve >= 0) {  // accept and close one so the backlog drains
            ::close(reserve);
            const int c = ::accept4(s.listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
            if (c >= 0) ::close(c);
            reserve = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
          } else {
            return pause_accepting(now);
          }
          ++s.dropped_;
          continue;
        }
        if (errno != EAGAIN && errno != EWOULDBLOCK) pause_accepting(now);  // ENOBUFS, ENOMEM
        return;
      }
      const int one = 1;
      ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      Client c;
      c.fd = fd;
      c.accepted_s = c.last_s = now;
      c.session.auth = !s.job_.secret.empty();
      c.session.key = mac_key;
      clients.emplace(fd, std::move(c));
      watch(fd, EPOLLIN | EPOLLRDHUP, EPOLL_CTL_ADD);
    }
  }

  void send(Client& c, const wire::Reply& r, const wire::Session& session) {
    const std::vector<uint8_t> f = wire::encode(r, session);
    c.out.insert(c.out.end(), f.begin(), f.end());
  }
  void reply(Client& c, uint8_t status, uint64_t seq, std::vector<uint8_t> value = {}) {
    wire::Reply r;
    r.status = status;
    r.seq = seq;
    r.value = std::move(value);
    send(c, r, c.session);
  }
  void refuse(Client& c, uint64_t seq, const std::string& why) {
    reply(c, wire::kRefused, seq, std::vector<uint8_t>(why.begin(), why.end()));
    c.closing = true;
    ++s.dropped_;
  }
  std::vector<uint8_t> abort_value() {
    std::lock_guard<std::mutex> lock(s.abort_mu_);
    std::vector<uint8_t> v(1 + s.abort_why_.size());
    v[0] = static_cast<uint8_t>(s.abort_code_);
    std::copy(s.abort_why_.begin(), s.abort_why_.end(), v.begin() + 1);
    return v;
  }

  void answer_get(Client& c, const wire::Request& q) {
    if (aborted) return reply(c, wire::kAborted, q.seq, abort_value());
    auto it = data.find(q.key);
    if (it == data.end()) {
      c.parked = true;
      c.wait = q;
      return;
    }
    std::vector<uint8_t> v;
    if (!slice(it->second, q.a, q.b, &v)) return refuse(c, q.seq, "get: range outside the value");
    reply(c, wire::kValue, q.seq, std::move(v));
  }

  void hello(Client& c, const uint8_t* body, size_t n) {
    wire::Request q;
    std::string why;
    wire::Session first = c.session;  // the hello's MAC covers no nonces yet
    if (!wire::decode(body, n, first, &q, &why)) return refuse(c, 0, "hello " + why);
    const int P = s.job_.nranks;
    if (q.op != wire::kHello || q.seq != 0 || q.value.size() != wire::kNonce) {
      return refuse(c, 0, "expected a hello");
    }
    std::copy(q.value.begin(), q.value.end(), c.session.nc.begin());  // replies bound to Nc
    if (q.key != s.job_.id) {
      const std::string sizes = static_cast<int>(q.b) == P
                                    ? ""
                                    : "; it has " + std::to_string(P) +
                                          " ranks, this rank was started with " +
                                          std::to_string(q.b);
      return refuse(c, 0,
                    "belongs to job '" + s.job_.id + "' (id from " + s.job_.id_source +
                        "), not to job '" + printable(q.key) + "'" + sizes);
    }
    if (static_cast<int>(q.b) != P) {
      return refuse(c, 0,
                    "serves a job of " + std::to_string(P) + " ranks; this rank was started with " +
                        std::to_string(q.b));
    }
    if (q.a >= static_cast<uint32_t>(P)) {
      return refuse(
          c, 0, "refused rank " + std::to_string(q.a) + ": outside [0, " + std::to_string(P) + ")");
    }
    std::vector<uint8_t> v(2 * wire::kNonce);
    crypto::random(v.data(), wire::kNonce);
    std::copy(s.id_.begin(), s.id_.end(), v.begin() + wire::kNonce);
    reply(c, wire::kOk, 0, v);  // MACed with Nc: bound to this hello
    std::copy(v.begin(), v.begin() + wire::kNonce, c.session.ns.begin());
    c.hello = true;
    c.rank = static_cast<int>(q.a);
  }

  void request(Client& c, const uint8_t* body, size_t n) {
    if (!c.hello) return hello(c, body, n);
    wire::Request q;
    std::string why;
    if (!wire::decode(body, n, c.session, &q, &why)) return refuse(c, 0, why);
    if (q.seq != c.next_seq) return refuse(c, q.seq, "request out of sequence (replayed?)");
    ++c.next_seq;
    if (c.parked) return refuse(c, q.seq, "a request while a get is pending");
    const std::string who = "rank " + std::to_string(c.rank);
    switch (q.op) {
      case wire::kSet: {
        if (q.key.empty()) return refuse(c, q.seq, "set: empty key");
        if (data.count(q.key) != 0) {
          const std::string msg = who + " registered twice (key '" + printable(q.key) +
                                  "' was already set: two processes started as " + who + "?)";
          if (!aborted) abort_all(lioncubInvalidUsage, msg);
          return refuse(c, q.seq, msg);
        }
        if (aborted) return reply(c, wire::kAborted, q.seq, abort_value());
        if (q.value.size() > s.limits_.max_value || data.size() >= s.limits_.max_keys ||
            total + q.value.size() + q.key.size() > s.limits_.max_total) {
          return refuse(c, q.seq,
                        "set: the store is full (caps: " + std::to_string(s.limits_.max_keys) +
                            " keys, " + std::to_string(s.limits_.max_value) + " bytes a value, " +
                            std::to_string(s.limits_.max_total) + " in all)");
        }
        total += q.value.size() + q.key.size();
        s.stored_bytes_ = total;
        const std::string key = q.key;
        data.emplace(key, std::move(q.value));
        reply(c, wire::kOk, q.seq);
        for (auto& [fd, other] : clients) {  // wake the gets waiting for this key
          if (other.parked && other.wait.key == key) {
            other.parked = false;
            other.last_s = now_s();
            answer_get(other, other.wait);
            flush(other);
          }
        }
        return;
      }
      case wire::kGet:
        return answer_get(c, q);
      case wire::kDone:
        done_ranks.insert(c.rank);
        reply(c, wire::kOk, q.seq);
        if (static_cast<int>(done_ranks.size()) == s.job_.nranks) finish();
        return;
      default:
        return refuse(c, q.seq, "unknown request");
    }
  }

  void abort_all(int code, const std::string& why) {
    {
      std::lock_guard<std::mutex> lock(s.abort_mu_);
      if (s.abort_code_ == 0) {
        s.abort_code_ = code;
        s.abort_why_ = why;
      }
    }
    check_abort();
  }

  void check_abort() {
    {
      std::lock_guard<std::mutex> lock(s.abort_mu_);
      if (s.abort_code_ == 0 || aborted) return;
    }
    aborted = true;
    for (auto& [fd, c] : clients) {
      if (!c.parked) continue;
      c.parked = false;
      reply(c, wire::kAborted, c.wait.seq, abort_value());
      flush(c);
    }
  }

  void finish() {  // every rank has what it needs: stop listening, close after the last replies
    finishing = true;
    ::epoll_ctl(ep, EPOLL_CTL_DEL, s.listen_fd_, nullptr);
    ::close(s.listen_fd_);
    s.listen_fd_ = -1;
    for (auto& [fd, c] : clients) c.closing = true;
  }

  // Writes what it can; false when the client is gone.
  bool flush(Client& c) {
    while (c.out_off < c.out.size()) {
      const ssize_t k =
          ::send(c.fd, c.out.data() + c.out_off, c.out.size() - c.out_off, MSG_NOSIGNAL);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (k <= 0) return false;
      c.out_off += static_cast<size_t>(k);
    }
    if (c.out_off == c.out.size()) {
      c.out.clear();
      c.out_off = 0;
    }
    const bool want = !c.out.empty();
    if (want != c.want_out) {
      watch(c.fd, EPOLLIN | EPOLLRDHUP | (want ? EPOLLOUT : 0u), EPOLL_CTL_MOD);
      c.want_out = want;
    }
    return true;
  }

  // Reads and handles whole frames; false when the client is to be dropped now.
  bool readable(Client& c, double now) {
    uint8_t buf[16384];
    for (;;) {
      const ssize_t k = ::recv(c.fd, buf, sizeof buf, 0);
      if (k < 0 && errno == EINTR) continue;
      if (k < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
      if (k <= 0) return false;
      if (c.closing) continue;  // ignore input after a refusal
      if (c.in.empty()) c.frame_start_s = now;
      c.in.insert(c.in.end(), buf, buf + k);
      c.last_s = now;
      while (!c.closing && c.in.size() >= 4) {
        const size_t len = wire::get_u32(c.in.data());
        if (len > frame_cap) {
          refuse(c, 0,
                 "a frame of " + std::to_string(len) + " bytes (cap " + std::to_string(frame_cap) +
                     ")");
          c.in.clear();
          break;
        }
        if (c.in.size() < 4 + len) break;
        request(c, c.in.data() + 4, len);
        c.in.erase(c.in.begin(), c.in.begin() + 4 + static_cast<std::ptrdiff_t>(len));
        c.frame_start_s = now;
      }
    }
    return flush(c);
  }

  void sweep(double now) {
    std::vector<int> gone;
    for (auto& [fd, c] : clients) {
      const bool slow = (!c.hello && now - c.accepted_s > s.limits_.frame_timeout_s) ||
                        (!c.in.empty() && now - c.frame_start_s > s.limits_.frame_timeout_s);
      const bool idle = c.hello && !c.parked && now - c.last_s > s.limits_.idle_timeout_s;
      const bool flushed = c.closing && c.out.empty();
      if (slow || idle || flushed || (c.closing && now - c.last_s > s.limits_.frame_timeout_s)) {
        if (slow || idle) ++s.dropped_;
        gone.push_back(fd);
      }
    }
    for (int fd : gone) drop(fd);
    if (!listening && !finishing && now >= paused_until) {
      watch(s.listen_fd_, EPOLLIN, EPOLL_CTL_MOD);
      listening = true;
    }
  }

  void run() {
    ep = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep < 0) return;
    reserve = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (!s.job_.secret.empty()) mac_key = crypto::derive(s.job_.secret, "lioncub-store-mac", "");
    frame_cap = s.limits_.max_value + wire::kMaxKey + 64;
    watch(s.wake_fd_, EPOLLIN, EPOLL_CTL_ADD);
    watch(s.listen_fd_, EPOLLIN, EPOLL_CTL_ADD);
    epoll_event evs[64];
    while (!s.stop_ && !(finishing && clients.empty())) {
      const int n = ::epoll_wait(ep, evs, 64, 50);
      if (n < 0 && errno != EINTR) break;
      const double now = now_s();
      for (int i = 0; i < n; ++i) {
        const int fd = evs[i].data.fd;
        if (fd == s.wake_fd_) {
          uint64_t x = 0;
          [[maybe_unused]] ssize_t r = ::read(s.wake_fd_, &x, sizeof x);
          check_abort();
          continue;
        }
        if (fd == s.listen_fd_) {
          if (!finishing) accept_all(now);
          continue;
        }
        auto it = clients.find(fd);
        if (it == clients.end()) continue;
        Client& c = it->second;
        bool ok = true;
        if (evs[i].events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) ok = readable(c, now);
        if (ok && (evs[i].events & EPOLLOUT)) ok = flush(c);
        if (!ok) drop(fd);
      }
      sweep(now);
    }
    for (auto& [fd, c] : clients) ::close(fd);
    clients.clear();
    if (reserve >= 0) ::close(reserve);
    ::close(ep);
    if (s.listen_fd_ >= 0) ::close(s.listen_fd_);
    s.listen_fd_ = -1;
    s.finished_ = finishing;
  }
};

StoreServer::StoreServer(const Endpoint& at, const Job& job, ServerLimits limits)
    : job_(job), limits_(limits) {
  const size_t P = static_cast<size_t>(job.nranks);
  if (job.nranks < 1 || job.nranks > kMaxStoreRanks) {
    raise(lioncubInvalidArgument, std::to_string(job.nranks) +
                                      " ranks exceed the rendezvous store's limit of " +
                                      std::to_string(kMaxStoreRanks));
  }
  if (limits_.max_connections == 0) limits_.max_connections = 64 + 2 * P;
  if (limits_.max_keys == 0) limits_.max_keys = P + 16;
  if (limits_.max_value == 0) limits_.max_value = 256 * P + 4096;
  if (limits_.max_total == 0) limits_.max_total = limits_.max_keys * limits_.max_value;
  listen_fd_ = listen_on(at, limits_.bind_any, &port_);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) {
    ::close(listen_fd_);
    raise(lioncubSystemError, std::string("store eventfd: ") + std::strerror(errno));
  }
  crypto::random(id_.data(), id_.size());
  thread_ = std::thread([this] { serve(); });
}

StoreServer::~StoreServer() {
  stop_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
  ::close(wake_fd_);
}

void StoreServer::serve() {
  Loop loop(*this);
  loop.run();
}

void StoreServer::abort(int code, const std::string& why) {
  {
    std::lock_guard<std::mutex> lock(abort_mu_);
    if (abort_code_ != 0) return;
    abort_code_ = code;
    abort_why_ = why.substr(0, wire::kMaxReason);
  }
  const uint64_t one = 1;
  [[maybe_unused]] ssize_t w = ::write(wake_fd_, &one, sizeof one);
}

}  // namespace lioncub::rendezvous
