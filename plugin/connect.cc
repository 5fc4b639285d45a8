#include "connect.h"

#include <cerrno>
#include <cstring>

#include "auth.h"
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
    h.job_hash = settings.job_hash;
    h.hello_nonce = random_u64();
    h.authenticated = settings.secret != nullptr;
    auto out = wire::MutableBytes(attempts_[i].hello, kHelloSize);
    encode_hello(h, out);
    if (h.authenticated) {
      compute_mac(*settings.secret, out.first(kHelloSignedSize), {}, out.data() + kHelloMacOffset);
    }
  }
}

bool PendingConnect::advance(Attempt& a, int64_t now) {
  if (a.sent == kHelloSize) return true;
  if (!a.connected) {
    if (!a.fd.valid()) {
      if (now < a.retry_at_ms) return false;
      try {
        a.fd = start_connect(handle_.addr, settings_);
      } catch (const NetError& e) {  // e.g. EMFILE: say which connection needed the socket
        throw NetError(e.code(), "connect to " + peer_ + ": " + e.what(), e.where());
      }
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

// The listener's answer: refusals say why; an accepted ack on an authenticated connection must
// carry the listener's MAC over this connection's control hello (a relay that read the handle
// cannot make one, so it cannot pose as the listener either).
void PendingConnect::check_ack() {
  std::string why;
  auto ack = parse_ack(wire::Bytes(ack_, kAckSize), &why);
  if (!ack) throw_remote("bad acknowledgement from " + peer_ + ": " + why);
  if (ack->status != AckStatus::kAccepted) {
    throw_remote("listener " + peer_ + " refused the connection: " +
                 ack_status_text(ack->status));
  }
  if (ack->conn_id != conn_id_) throw_remote("bad acknowledgement from " + peer_ + ": another connection's");
  if (ack->job_hash != settings_.job_hash) {
    throw_remote("listener " + peer_ + " belongs to another job (LIONCUB_JOB_ID / "
                 "TORCHELASTIC_RUN_ID differ)");
  }
  if (settings_.secret) {
    uint8_t want[kMacSize];
    compute_mac(*settings_.secret, wire::Bytes(ack_, kAckSignedSize),
                wire::Bytes(attempts_[0].hello, kHelloSignedSize), want);
    if (!mac_equal(want, ack->mac)) {
      throw_remote("listener " + peer_ + " failed authentication (its acknowledgement does not "
                   "carry LIONCUB_SECRET's MAC): wrong secret, or not the peer in the handle");
    }
  }
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
      check_ack();
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
      LIONCUB_NET_INFO(abi::NCCL_NET, "connected to %s with %u data streams", peer_.c_str(), cp.streams);
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
