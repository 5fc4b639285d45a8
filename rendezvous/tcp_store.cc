#include "rendezvous/tcp_store.h"

#include <unistd.h>

#include <cmath>

#include "common/clock.h"
#include "common/error.h"
#include "rendezvous/net.h"

namespace lioncub::rendezvous {

StoreClient::StoreClient(const Endpoint& at, const Job& job, int rank, double deadline_s)
    : at_(at), job_(job), rank_(rank) {
  if (!std::isfinite(deadline_s))
    raise(lioncubInvalidArgument, "rendezvous: deadline is not finite");
  if (job.nranks > kMaxStoreRanks) {
    raise(lioncubInvalidArgument, std::to_string(job.nranks) +
                                      " ranks exceed the rendezvous store's limit of " +
                                      std::to_string(kMaxStoreRanks));
  }
  if (rank < 0 || rank >= job.nranks) {
    raise(lioncubInvalidArgument, "rendezvous: rank " + std::to_string(rank) + " is outside [0, " +
                                      std::to_string(job.nranks) + ")");
  }
  fd_ = connect_to(at, deadline_s);
  session_.auth = !job.secret.empty();
  if (session_.auth) session_.key = crypto::derive(job.secret, "lioncub-store-mac", "");
  wire::Request q;
  q.op = wire::kHello;
  q.key = job.id;
  q.a = static_cast<uint32_t>(rank);
  q.b = static_cast<uint32_t>(job.nranks);
  q.value.resize(wire::kNonce);
  crypto::random(q.value.data(), q.value.size());
  const wire::Reply r = call(q, deadline_s, 2 * wire::kNonce, "hello", "");
  if (r.status != wire::kOk || r.value.size() != 2 * wire::kNonce) {
    fail(lioncubRemoteError, "answered the hello with junk (not a lioncub store?)");
  }
  std::copy(r.value.begin(), r.value.begin() + wire::kNonce, session_.ns.begin());
  std::copy(r.value.begin() + wire::kNonce, r.value.end(), id_.begin());
}

StoreClient::~StoreClient() {
  if (fd_ >= 0) ::close(fd_);
}

void StoreClient::fail(lioncubResult_t code, const std::string& why) {
  broken_ = true;
  raise(code, "rendezvous: the store at " + to_string(at_) + " " + why);
}

wire::Reply StoreClient::call(wire::Request q, double deadline_s, size_t max_value,
                              const std::string& what, const std::string& who) {
  if (broken_) fail(lioncubInvalidUsage, "session failed earlier");
  if (!std::isfinite(deadline_s))
    raise(lioncubInvalidArgument, "rendezvous: deadline is not finite");
  const bool hello = q.op == wire::kHello;
  q.seq = hello ? 0 : ++seq_;
  wire::Session send_session = session_;
  if (hello) send_session.nc = {}, send_session.ns = {};
  const std::vector<uint8_t> frame = wire::encode(q, send_session);
  if (!write_exact(fd_, frame.data(), frame.size(), deadline_s)) {
    fail(lioncubRemoteError, "closed or stalled during " + what + " (did rank 0 exit?)");
  }
  uint8_t head[4];
  if (!read_exact(fd_, head, 4, deadline_s)) {
    if (now_s() >= deadline_s && !who.empty()) {
      broken_ = true;
      raise(lioncubTimeout,
            "rendezvous at " + to_string(at_) + ": " + who +
                " did not arrive before the deadline (LIONCUB_RENDEZVOUS_TIMEOUT_MS "
                "sets the wait)");
    }
    fail(now_s() >= deadline_s ? lioncubTimeout : lioncubRemoteError,
         (now_s() >= deadline_s ? "did not answer " : "closed during ") + what +
             (now_s() >= deadline_s ? " before the deadline" : " (did rank 0 exit?)"));
  }
  const size_t len = wire::get_u32(head);
  if (len > std::max(max_value, wire::kMaxReason + 1) + 64) {
    fail(lioncubRemoteError,
         "sent a " + std::to_string(len) + "-byte reply to " + what + " (junk)");
  }
  std::vector<uint8_t> body(len);
  if (!read_exact(fd_, body.data(), len, deadline_s)) {
    fail(lioncubRemoteError, "closed or stalled during " + what + "'s reply");
  }
  wire::Session recv_session = session_;
  if (hello) {  // the hello's reply is bound to the client's nonce Nc
    std::copy(q.value.begin(), q.value.end(), recv_session.nc.begin());
    recv_session.ns = {};
    session_.nc = recv_session.nc;
  }
  wire::Reply r;
  std::string why;
  if (!wire::decode(body.data(), body.size(), recv_session, &r, &why)) {
    fail(lioncubRemoteError, "sent a reply to " + what + " that is " + why);
  }
  if (r.status == wire::kRefused) {
    const std::string reason = printable(std::string(r.value.begin(), r.value.end()));
    std::string mine;
    if (hello) mine = " (this rank: job '" + job_.id + "' from " + job_.id_source + ")";
    fail(lioncubInvalidUsage, "refused " + what + ": " + reason + mine);
  }
  if (r.seq != q.seq) fail(lioncubRemoteError, "answered " + what + " out of sequence");
  if (r.status == wire::kAborted) {
    const int code = r.value.empty() ? 0 : r.value[0];
    const lioncubResult_t rc = code > 0 && code < lioncubNumResults
                                   ? static_cast<lioncubResult_t>(code)
                                   : lioncubRemoteError;
    const std::string reason =
        r.value.empty() ? "" : printable(std::string(r.value.begin() + 1, r.value.end()));
    broken_ = true;
    raise(rc, "rank 0 gave up the rendezvous: " + reason);
  }
  return r;
}

void StoreClient::set(const std::string& key, const std::vector<uint8_t>& value,
                      double deadline_s) {
  wire::Request q;
  q.op = wire::kSet;
  q.key = key;
  q.value = value;
  const wire::Reply r = call(q, deadline_s, 0, "set '" + key + "'", "");
  if (r.status != wire::kOk || !r.value.empty())
    fail(lioncubRemoteError, "answered a set with junk");
}

std::vector<uint8_t> StoreClient::get(const std::string& key, uint32_t offset, uint32_t length,
                                      double deadline_s, const std::string& who) {
  wire::Request q;
  q.op = wire::kGet;
  q.key = key;
  q.a = offset;
  q.b = length;
  wire::Reply r = call(q, deadline_s, length == 0 ? (64u << 20) : length, "get '" + key + "'", who);
  if (r.status != wire::kValue || r.value.empty() || (length != 0 && r.value.size() != length)) {
    fail(lioncubRemoteError, "answered get '" + key + "' without the value (junk)");
  }
  return std::move(r.value);
}

void StoreClient::done(double deadline_s) {
  wire::Request q;
  q.op = wire::kDone;
  const wire::Reply r = call(q, deadline_s, 0, "done", "");
  if (r.status != wire::kOk) fail(lioncubRemoteError, "answered done with junk");
}

}  // namespace lioncub::rendezvous
