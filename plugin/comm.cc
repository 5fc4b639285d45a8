#include "comm.h"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "error.h"
#include "log.h"

namespace lioncub::net {

Comm::Comm(Kind kind, std::vector<Fd> fds, CommParams params)
    : kind_(kind), params_(std::move(params)) {
  const int nthreads = std::max(1, std::min<int>(params_.threads, static_cast<int>(fds.size())));
  StreamHandler& self = *this;
  for (int i = 0; i < nthreads; ++i) workers_.push_back(std::make_unique<Worker>(self, i));
  for (size_t i = 0; i < fds.size(); ++i) {
    auto s = std::make_unique<Stream>();
    s->fd = std::move(fds[i]);
    s->index = static_cast<int>(i) - 1;
    // Control on worker 0; data stream d on worker (d + 1) % threads.
    s->worker = workers_[i % workers_.size()].get();
    s->worker->add(s.get());
    streams_.push_back(std::move(s));
  }
  if (params_.fault) {
    const FaultSide side = kind_ == Kind::kSend ? FaultSide::kSend : FaultSide::kRecv;
    const int64_t number = (kind_ == Kind::kSend ? params_.fault->send_comms
                                                 : params_.fault->recv_comms).fetch_add(1);
    for (auto& s : streams_) s->fault = StreamFault::make(*params_.fault, side, s->index, number);
  }
  if (kind_ == Kind::kRecv) ctrl_buf_.resize(kControlSize + params_.inline_max + (256 << 10));
  for (auto& w : workers_) w->start();
}

Comm::~Comm() {
  for (auto& w : workers_) w->stop();
  workers_.clear();
  for (Request* r : live_) delete r;  // their tokens are removed by the caller (net.cc)
}

std::string Comm::stream_name(const Stream& s) const {
  return (s.index < 0 ? std::string("control stream") : "data stream " + std::to_string(s.index)) +
         " with peer " + params_.peer;
}

void Comm::fail(abi::ncclResult_t code, const std::string& msg) {
  {
    std::lock_guard<std::mutex> lock(fail_mu_);
    if (fail_code_.load() != abi::ncclSuccess) return;
    fail_msg_ = msg;
    fail_code_.store(code, std::memory_order_release);
  }
  LIONCUB_NET_WARN("%s comm failed: %s", kind_ == Kind::kSend ? "send" : "receive", msg.c_str());
  for (auto& w : workers_) w->wake();
}

void Comm::throw_failure() {
  std::string msg;
  {
    std::lock_guard<std::mutex> lock(fail_mu_);
    msg = fail_msg_;
  }
  throw NetError(fail_code_.load(std::memory_order_acquire), msg);
}

int64_t Comm::tick_ms() const {
  if (params_.fault) return 5;  // injected delays end on time
  return std::clamp<int64_t>(params_.stall_timeout_ms / 4, 10, 1000);
}

void Comm::push(Stream& s, const Piece& p) {
  bool was_empty;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    was_empty = s.queue.empty();
    if (was_empty) s.last_progress_ms = now_ms();
    s.queue.push_back(p);
  }
  if (was_empty) s.worker->wake();
}

Request* Comm::isend(uint8_t* data, uint64_t size, int tag) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed()) throw_failure();
  if (static_cast<int>(live_.size()) >= params_.max_requests) return nullptr;
  auto req = std::make_unique<Request>();
  Request* r = req.get();
  r->comm = this;
  r->slots[0].data = data;
  r->slots[0].capacity = size;
  r->slots[0].size = size;
  r->slots[0].tag = tag;
  r->slots[0].matched = true;
  encode_control(ControlMsg{size, tag}, r->header);
  const uint64_t seq = next_seq_++;
  const bool inl = size <= params_.inline_max;
  int64_t pieces = 1 + (inl && size > 0 ? 1 : 0);
  if (!inl) {
    for_each_chunk(size, seq, params_.streams, params_.min_chunk,
                   [&](uint32_t, uint64_t, uint64_t) { ++pieces; });
  }
  r->pending.store(pieces, std::memory_order_relaxed);
  live_.insert(req.release());
  Stream& ctrl = *streams_[0];
  push(ctrl, Piece{r->header, kControlSize, 0, r, nullptr});
  if (inl && size > 0) push(ctrl, Piece{data, size, 0, r, nullptr});
  if (!inl) {
    for_each_chunk(size, seq, params_.streams, params_.min_chunk,
                   [&](uint32_t stream, uint64_t off, uint64_t len) {
                     push(*streams_[1 + stream], Piece{data + off, len, 0, r, nullptr});
                   });
  }
  return r;
}

Request* Comm::irecv(int n, uint8_t** data, const uint64_t* sizes, const int* tags) {
  std::lock_guard<std::mutex> lock(mu_);
  if (failed()) throw_failure();
  if (static_cast<int>(live_.size()) >= params_.max_requests) return nullptr;
  auto req = std::make_unique<Request>();
  Request* r = req.get();
  r->comm = this;
  r->is_recv = true;
  r->n = n;
  r->unmatched = n;
  for (int i = 0; i < n; ++i) {
    r->slots[i].data = data[i];
    r->slots[i].capacity = sizes[i];
    r->slots[i].tag = tags != nullptr ? tags[i] : 0;
  }
  r->pending.store(n, std::memory_order_relaxed);
  live_.insert(req.release());
  // Staged messages are older than anything in incoming_: they match first.
  if (match_staged_locked(r)) posted_.push_back(r);
  rematch_locked();
  if (peer_closed_ && !posted_.empty() && incoming_.empty()) {
    // The request is returned; test() reports the failure.
    fail(abi::ncclRemoteError, "peer " + params_.peer + " closed its send comm; nothing more can arrive");
  }
  return r;
}

Comm::TestResult Comm::test(Request* r, int* sizes) {
  TestResult t;
  if (r->pending.load(std::memory_order_acquire) != 0) {
    if (failed()) {
      std::lock_guard<std::mutex> lock(fail_mu_);
      t.code = fail_code_.load(std::memory_order_acquire);
      t.message = fail_msg_;
    }
    return t;
  }
  t.done = true;
  if (sizes != nullptr) {
    for (int i = 0; i < r->n; ++i) {
      sizes[i] = static_cast<int>(std::min<uint64_t>(r->slots[i].size, INT32_MAX));
    }
  }
  {
    std::lock_guard<std::mutex> lock(r->error_mu);
    t.code = r->error_code;
    t.message = r->error_msg;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    live_.erase(r);
  }
  delete r;
  return t;
}

void Comm::finish_piece(Request* r) { r->pending.fetch_sub(1, std::memory_order_acq_rel); }

uint32_t Comm::wanted_events(Pollable& p) {
  Stream& s = stream_of(p);
  if (failed()) return 0;
  bool has_work;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    has_work = !s.queue.empty();
  }
  if (s.fault && (has_work || (kind_ == Kind::kRecv && s.index < 0)) && s.fault->blocked(now_ms())) {
    // Injected stall or delay: the stream moves nothing now (a sender still sees the peer close).
    return kind_ == Kind::kSend && !s.eof ? EPOLLIN | EPOLLRDHUP : 0u;
  }
  if (kind_ == Kind::kSend) {
    // After the receiver closed, a new send still tries so that the error surfaces at once.
    if (s.eof) return has_work ? EPOLLOUT : 0u;
    // EPOLLIN only to see the peer close or reset early; it never sends after the ack.
    return EPOLLIN | EPOLLRDHUP | (has_work ? EPOLLOUT : 0u);
  }
  if (s.eof) return 0;
  if (s.index < 0) {
    std::lock_guard<std::mutex> lock(mu_);
    return static_cast<int>(incoming_.size()) < params_.max_requests ? EPOLLIN | EPOLLRDHUP : 0u;
  }
  return has_work ? EPOLLIN | EPOLLRDHUP : 0u;
}

bool Comm::busy(const std::vector<Pollable*>& streams) {
  for (Pollable* item : streams) {
    Stream* s = &stream_of(*item);
    if (s->fault && s->fault->holding(now_ms())) return true;
    std::lock_guard<std::mutex> lock(s->mu);
    if (!s->queue.empty()) return true;
  }
  return false;
}

void Comm::check_stalls(const std::vector<Pollable*>& streams, int64_t now) {
  for (Pollable* item : streams) {
    Stream* s = &stream_of(*item);
    int64_t since;
    uint64_t left = 0;
    {
      std::lock_guard<std::mutex> lock(s->mu);
      if (s->queue.empty()) continue;
      since = now - s->last_progress_ms;
      for (const Piece& p : s->queue) left += p.len - p.done;
    }
    if (since > params_.stall_timeout_ms) {
      fail(abi::ncclRemoteError, "no progress for " + std::to_string(since) + " ms on " +
                                     stream_name(*s) + " (" + std::to_string(left) +
                                     " bytes pending); peer stalled or unreachable");
      return;
    }
  }
}

void Comm::service(Pollable& p, uint32_t events) {
  Stream& s = stream_of(p);
  try {
    if (kind_ == Kind::kSend) {
      if (events & EPOLLOUT) move_bytes(s, true);
      if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        uint8_t junk[64];
        bool wb = false, eof = false;
        size_t n = recv_some(s.fd.get(), junk, sizeof(junk), &wb, &eof);
        if (n > 0) throw_remote("unexpected bytes from the receiver on " + stream_name(s));
        if (eof) {
          s.eof = true;
          std::lock_guard<std::mutex> lock(s.mu);
          if (!s.queue.empty()) throw_remote("peer closed the " + stream_name(s) + " mid-send");
        }
      }
    } else if (s.index < 0) {
      read_control(s);
    } else {
      move_bytes(s, false);
    }
  } catch (const NetError& e) {
    fail(e.code(), std::string(e.what()) + " (" + stream_name(s) + ")");
  } catch (const std::exception& e) {
    fail(abi::ncclSystemError, std::string(e.what()) + " (" + stream_name(s) + ")");
  }
}

// Moves bytes between the socket and the front pieces of the stream's queue, gathering up to
// 16 pieces per system call, until the socket would block or the queue is empty.
void Comm::move_bytes(Stream& s, bool sending) {
  constexpr int kMaxIov = 16;
  for (;;) {
    iovec iov[kMaxIov];
    int niov = 0;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      for (const Piece& p : s.queue) {
        if (niov == kMaxIov) break;
        uint64_t len = p.len - p.done;
        if (p.ptr == nullptr) {  // discard: read into scratch, alone in this call
          if (niov > 0) break;
          if (s.scratch.empty()) s.scratch.resize(1 << 16);
          iov[niov++] = {s.scratch.data(), std::min<uint64_t>(len, s.scratch.size())};
          break;
        }
        iov[niov++] = {p.ptr + p.done, len};
      }
    }
    if (niov == 0) return;
    if (s.fault) {  // injected reset, stall or short I/O: trim the gather list
      if (s.fault->reset_due()) inject_reset(s);
      uint64_t total = 0;
      for (int i = 0; i < niov; ++i) total += iov[i].iov_len;
      uint64_t keep = s.fault->clip(total);
      if (keep == 0) return;  // stalled: wanted_events stops polling this stream
      int k = 0;
      for (; k < niov && keep > 0; ++k) {
        iov[k].iov_len = std::min<uint64_t>(iov[k].iov_len, keep);
        keep -= iov[k].iov_len;
      }
      niov = k;
    }
    ssize_t n;
    if (sending) {
      msghdr msg{};
      msg.msg_iov = iov;
      msg.msg_iovlen = niov;
      n = ::sendmsg(s.fd.get(), &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
      n = ::readv(s.fd.get(), iov, niov);
    }
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      throw_errno(sending ? "send" : "recv", errno);
    }
    if (n == 0) {
      s.eof = true;
      throw_remote("peer closed the connection with a receive in flight");
    }
    uint64_t moved = static_cast<uint64_t>(n);
    const bool reset_now = s.fault && s.fault->moved(moved);
    std::vector<Piece> finished;
    {
      std::lock_guard<std::mutex> lock(s.mu);
      s.last_progress_ms = now_ms();
      while (moved > 0) {
        Piece& p = s.queue.front();
        const uint64_t take = std::min(moved, p.len - p.done);
        p.done += take;
        moved -= take;
        if (p.done == p.len) {
          finished.push_back(Piece{nullptr, 0, 0, p.req, p.stage});
          s.queue.pop_front();
        }
      }
    }
    for (const Piece& p : finished) {
      if (s.fault) s.fault->op_done();
      if (p.stage != nullptr) {
        finish_stage(p.stage);
      } else if (p.req != nullptr) {
        finish_piece(p.req);
      }  // else: the discarded bytes of a refused message
    }
    if (reset_now) inject_reset(s);
    if (s.fault && s.fault->blocked(now_ms())) return;  // a delay starts with the next piece
  }
}

void Comm::inject_reset(Stream& s) {
  reset_socket(s.fd.get());
  throw_remote(s.fault->describe() + ": reset after " + std::to_string(s.fault->total()) + " bytes");
}

// Receive side of the control stream: stage bytes, parse whole messages (header plus inline
// payload), queue them in arrival order and match them with posted receives.
void Comm::read_control(Stream& s) {
  for (;;) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (static_cast<int>(incoming_.size()) >= params_.max_requests) return;  // backpressure
    }
    size_t room = ctrl_buf_.size() - ctrl_have_;
    if (s.fault) {
      if (s.fault->reset_due()) inject_reset(s);
      if (s.fault->blocked(now_ms())) return;
      room = s.fault->clip(room);
      if (room == 0) return;
    }
    bool wb = false, eof = false;
    size_t n = recv_some(s.fd.get(), ctrl_buf_.data() + ctrl_have_, room, &wb, &eof);
    if (eof) {
      s.eof = true;
      std::lock_guard<std::mutex> lock(mu_);
      peer_closed_ = true;
      // Messages already parsed may still match later receives; only an empty queue means
      // the posted receives can never complete.
      if (ctrl_have_ != 0 || (!posted_.empty() && incoming_.empty())) {
        throw_remote("peer closed the connection with a receive posted");
      }
      return;
    }
    if (wb) return;
    ctrl_have_ += n;
    if (s.fault) {
      s.fault->op_done();
      if (s.fault->moved(n)) inject_reset(s);
    }
    size_t used = 0;
    std::lock_guard<std::mutex> lock(mu_);
    for (;;) {
      ControlParse p = parse_control(
          wire::Bytes(ctrl_buf_.data() + used, ctrl_have_ - used), params_.inline_max);
      if (p.status == ParseStatus::kNeedMore) break;
      if (p.status == ParseStatus::kError) throw_remote(p.error);
      Incoming in{next_seq_++, p.msg.size, p.msg.tag, {}};
      if (p.consumed > kControlSize) {
        in.inline_data.assign(ctrl_buf_.data() + used + kControlSize, ctrl_buf_.data() + used + p.consumed);
      }
      incoming_.push_back(std::move(in));
      used += p.consumed;
    }
    if (used > 0) {
      std::memmove(ctrl_buf_.data(), ctrl_buf_.data() + used, ctrl_have_ - used);
      ctrl_have_ -= used;
    }
    rematch_locked();
  }
}

}  // namespace lioncub::net
