#include "connect.h"

#include <cerrno>
#include <cstring>

#include "comm.h"
#include "error.h"
#include "log.h"

namespace lioncub::net {
namespace {
constexpr int64_t kRetryDelayMs = 20;
}

PendingConnect::PendingConnect(const ListenHandle& handle, const Settings& settings)
    : handle_(handle),
      settings_(settings),
      peer_(format_address(handle.addr)),
      conn_id_(random_u64()),
      deadline_ms_(now_ms() + settings.connect_timeout_ms),
      attempts_(1 + settings.streams) {
  for (size_t i = 0; i < attempts_.size(); ++i) {
    Hello h;
    h.kind = i == 0 ? StreamKind::kControl : StreamKind::kData;
    h.index = static_cast<uint16_t>(i == 0 ? 0 : i - 1);
    h.streams = static_cast<uint16_t>(settings.streams);
    h.min_chunk = static_cast<uint32_t>(settings.min_chunk);
    h.inline_max = static_cast<uint32_t>(settings.inline_max);
    h.nonce = handle.nonce;
    h.conn_id = conn_id_;
    encode_hello(h, wire::MutableBytes(attempts_[i].hello, kHelloSize));
  }
}

bool PendingConnect::advance(Attempt& a, int64_t now) {
  if (a.sent == kHelloSize) return true;
  if (!a.connected) {
    if (!a.fd.valid()) {
      if (now < a.retry_at_ms) return false;
      a.fd = start_connect(handle_.addr);
      if (!a.fd.valid()) {
        if (errno == ECONNREFUSED || errno == EAGAIN || errno == EINTR) {
          a.retry_at_ms = now + kRetryDelayMs;
          return false;
        }
        throw_errno("connect to " + peer_, errno);
      }
    }
    const int st = connect_status(a.fd.get());
    if (st == EINPROGRESS || st == EALREADY) return false;
    if (st == ECONNREFUSED || st == ETIMEDOUT) {  // listener not there yet: retry until deadline
      a.fd.reset();
      a.retry_at_ms = now + kRetryDelayMs;
      return false;
    }
    if (st != 0) throw_errno("connect to " + peer_, st);
    set_stream_options(a.fd.get(), settings_);
    a.connected = true;
  }
  bool wb = false;
  a.sent += send_some(a.fd.get(), a.hello + a.sent, kHelloSize - a.sent, false, &wb);
  return a.sent == kHelloSize;
}

std::unique_ptr<Comm> PendingConnect::progress() {
  const int64_t now = now_ms();
  bool all_sent = true;
  for (Attempt& a : attempts_) all_sent = advance(a, now) && all_sent;
  if (all_sent) {
    bool wb = false, eof = false;
    ack_got_ += recv_some(attempts_[0].fd.get(), ack_ + ack_got_, kAckSize - ack_got_, &wb, &eof);
    if (eof) throw_remote("listener " + peer_ + " closed the connection instead of accepting it");
    if (ack_got_ == kAckSize) {
      std::string why;
      if (!parse_ack(wire::Bytes(ack_, kAckSize), conn_id_, &why)) {
        throw_remote("bad acknowledgement from " + peer_ + ": " + why);
      }
      std::vector<Fd> fds;
      for (Attempt& a : attempts_) fds.push_back(std::move(a.fd));
      CommParams cp;
      cp.streams = static_cast<uint32_t>(settings_.streams);
      cp.min_chunk = static_cast<uint64_t>(settings_.min_chunk);
      cp.inline_max = static_cast<uint32_t>(settings_.inline_max);
      cp.threads = static_cast<int>(settings_.threads);
      cp.max_requests = static_cast<int>(settings_.max_requests);
      cp.stall_timeout_ms = settings_.stall_timeout_ms;
      cp.staging_bytes = static_cast<uint64_t>(settings_.staging_bytes);
      cp.peer = peer_;
      cp.fault = settings_.fault;
      log_info("connected to %s with %u data streams", peer_.c_str(), cp.streams);
      return std::make_unique<Comm>(Comm::Kind::kSend, std::move(fds), cp);
    }
  }
  if (now > deadline_ms_) {
    throw_remote("connect to " + peer_ + " timed out after " +
                 std::to_string(settings_.connect_timeout_ms) + " ms (" +
                 (all_sent ? "no acknowledgement; wrong handle or listener gone?"
                           : "streams not established") + ")");
  }
  return nullptr;
}

}  // namespace lioncub::net
