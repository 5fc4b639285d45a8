#include "collectives/backend/host/host_comm.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <exception>
#include <new>
#include <thread>
#include <type_traits>

#include "common/clock.h"
#include "common/error.h"
#include "common/settings.h"
#include "rendezvous/exchange.h"

namespace lioncub::coll {

void* HostScratch::get(int slot, size_t bytes) {
  if (slot < 0 || slot >= kNumScratch) raise(lioncubInternalError, "scratch slot out of range");
  if (bytes > cap_[slot] || buf_[slot] == nullptr) {
    ::operator delete(buf_[slot], std::align_val_t(256));
    buf_[slot] = nullptr;
    cap_[slot] = 0;
    const size_t cap = std::max<size_t>((bytes + 4095) / 4096 * 4096, 4096);
    buf_[slot] = ::operator new(cap, std::align_val_t(256));  // not value-initialized: no fill
    cap_[slot] = cap;
  }
  return buf_[slot];
}

HostScratch::~HostScratch() {
  for (void* b : buf_) ::operator delete(b, std::align_val_t(256));
}

size_t chunk_bytes(size_t bytes) {
  constexpr size_t kMin = 256u << 10, kMax = 256u << 20, kAlign = 4096;
  size_t c = (bytes + 7) / 8;
  c = (c + kAlign - 1) / kAlign * kAlign;
  return std::clamp(c, kMin, kMax);
}

HostComm::HostComm(int nranks, int rank, const std::string& rendezvous,
                   const std::string& plugin_path)
    : nranks_(nranks), rank_(rank), plugin_path_(plugin_path) {
  timeout_s_ = setting_seconds("LIONCUB_TIMEOUT_MS");
  send_comms_.resize(static_cast<size_t>(nranks));
  recv_comms_.resize(static_cast<size_t>(nranks));
  if (nranks == 1) return;  // nothing to connect; the plugin is not even loaded
  raise_fd_limit();
  const double deadline = now_s() + setting_seconds("LIONCUB_RENDEZVOUS_TIMEOUT_MS");
  const rendezvous::Endpoint at = rendezvous::parse_endpoint(rendezvous);
  const rendezvous::Job job = rendezvous::job_from_env(rendezvous, nranks);
  if (rank == 0) server_ = std::make_unique<StoreServer>(at, job);
  try {
    net_ = std::make_unique<NetClient>(plugin_path, 0x6c696f6e63756200ull);
    StoreClient store(at, job, rank, deadline);
    connect_all(store, deadline);
  } catch (const Error& e) {
    if (server_) {  // tell the ranks still waiting why, then give them a moment to read it
      server_->abort(e.code, e.what());
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    throw;
  }
}

HostComm::~HostComm() { close_all(); }

void HostComm::close_all() noexcept {
  for (NetComm& c : send_comms_) c.reset();
  for (NetComm& c : recv_comms_) c.reset();
}

HostComm::FailureGuard::FailureGuard(HostComm& c) : comm_(c), exceptions_(std::uncaught_exceptions()) {
  if (c.broken_) {
    raise(lioncubInvalidUsage,
          "rank " + std::to_string(c.rank_) +
              ": an earlier collective on this communicator failed and closed its connections; "
              "destroy it and create a new one");
  }
}

HostComm::FailureGuard::~FailureGuard() {
  if (std::uncaught_exceptions() > exceptions_) {
    comm_.close_all();
    comm_.broken_ = true;
  }
}

// Every rank listens once per peer (so an accepted comm's peer is known), publishes the P
// handles under "lh/<rank>", fetches from each peer the one slot meant for it (sealed when
// LIONCUB_SECRET is set: rendezvous/exchange.h), tells the store it is done (the store closes
// once every rank is), then drives all connects and accepts together (net_client.h) until all
// are up or the deadline passes. The listeners close on return.
void HostComm::connect_all(StoreClient& store, double deadline_s) {
  const int P = nranks_, r = rank_;
  if (net_->devices() < 1) raise(lioncubSystemError, "net plugin " + plugin_path_ + " reports no devices");
  link_mbps_ = net_->speed_mbps(0);
  constexpr size_t H = NetClient::kHandleBytes;
  std::vector<NetComm> listens(static_cast<size_t>(P));
  std::vector<std::vector<uint8_t>> mine(static_cast<size_t>(P), std::vector<uint8_t>(H, 0));
  for (int p = 0; p < P; ++p) {
    if (p == r) continue;
    std::vector<uint8_t> h;
    listens[p] = net_->listen(0, &h, "rank " + std::to_string(r) + ", listening for rank " +
                                         std::to_string(p));
    std::memcpy(mine[p].data(), h.data(), H);
  }
  rendezvous::HandleExchange exchange(store, store.job(), r, H);
  exchange.publish(mine, deadline_s);
  std::vector<PeerLinks> links;
  for (int p = 0; p < P; ++p) {
    if (p == r) continue;
    PeerLinks l;
    l.peer = p;
    l.connect_handle = exchange.fetch(p, deadline_s);
    l.listener = &listens[p];
    l.send = &send_comms_[p];
    l.recv = &recv_comms_[p];
    links.push_back(std::move(l));
  }
  store.done(deadline_s);
  try {
    net_->connect_all(links, deadline_s);
  } catch (const Error& e) {
    raise(e.code, "rank " + std::to_string(r) + ", " + e.what());
  }
}

void* HostComm::send_to(int peer, const void* data, size_t bytes) {
  traffic_.sent += bytes;
  return net_->isend(send_comms_[peer].get(), data, bytes, now_s() + timeout_s_);
}

void* HostComm::recv_from(int peer, void* data, size_t bytes) {
  traffic_.received += bytes;
  return net_->irecv(recv_comms_[peer].get(), data, bytes, now_s() + timeout_s_);
}

void HostComm::post_send(int peer, const uint8_t* data, size_t bytes, std::vector<Pending>* reqs) {
  const size_t c = chunk_bytes(bytes);
  for (size_t off = 0; off < bytes; off += c) {
    const size_t n = std::min(c, bytes - off);
    reqs->push_back({send_to(peer, data + off, n), n, peer});
  }
}

void HostComm::post_recv(int peer, uint8_t* data, size_t bytes, std::vector<Pending>* reqs) {
  const size_t c = chunk_bytes(bytes);
  for (size_t off = 0; off < bytes; off += c) {
    const size_t n = std::min(c, bytes - off);
    reqs->push_back({recv_from(peer, data + off, n), n, peer});
  }
}

void HostComm::wait(const Pending& p, bool is_recv) {
  int size = 0;
  try {
    size = net_->wait(p.request, now_s() + timeout_s_);
  } catch (const Error& e) {
    raise(e.code, "rank " + std::to_string(rank_) +
                      (is_recv ? ", receiving from rank " : ", sending to rank ") +
                      std::to_string(p.peer) + ": " + e.what());
  }
  if (is_recv && size != static_cast<int>(p.bytes)) {
    raise(lioncubInvalidUsage, "rank " + std::to_string(p.peer) + " sent " + std::to_string(size) +
                                   " bytes where " + std::to_string(p.bytes) +
                                   " were expected: ranks passed different counts or algorithms");
  }
}

void HostComm::allgatherv(void* buf, const size_t* offsets, const size_t* sizes) {
  FailureGuard guard(*this);
  if (nranks_ == 1) return;
  auto* b = static_cast<uint8_t*>(buf);
  const int P = nranks_, next = (rank_ + 1) % P, prev = (rank_ + P - 1) % P;
  for (int s = 0; s < P - 1; ++s) {
    const int sb = (rank_ - s + P) % P, rb = (rank_ - s - 1 + 2 * P) % P;
    recvs_.clear();
    sends_.clear();
    post_recv(prev, b + offsets[rb], sizes[rb], &recvs_);
    post_send(next, b + offsets[sb], sizes[sb], &sends_);
    for (const Pending& p : recvs_) wait(p, true);
    for (const Pending& q : sends_) wait(q, false);
  }
}

void HostComm::alltoallv(const void* send, const size_t* send_offsets, const size_t* send_sizes,
                         void* recv, const size_t* recv_offsets, const size_t* recv_sizes) {
  FailureGuard guard(*this);
  const auto* s = static_cast<const uint8_t*>(send);
  auto* d = static_cast<uint8_t*>(recv);
  const int P = nranks_, r = rank_;
  if (recv_sizes[r] != send_sizes[r]) raise(lioncubInternalError, "alltoallv: own block sizes differ");
  if (send_sizes[r] > 0) std::memmove(d + recv_offsets[r], s + send_offsets[r], send_sizes[r]);
  std::vector<Pending> recvs;
  std::vector<Pending> sends;
  for (int k = 1; k < P; ++k) {
    const int from = (r - k + P) % P;
    post_recv(from, d + recv_offsets[from], recv_sizes[from], &recvs);
  }
  for (int k = 1; k < P; ++k) {
    const int to = (r + k) % P;
    post_send(to, s + send_offsets[to], send_sizes[to], &sends);
  }
  for (const Pending& p : recvs) wait(p, true);
  for (const Pending& q : sends) wait(q, false);
}

template <class T>
void HostComm::allreduce_sum(T* buf, size_t count, bool average, double* reduce_seconds,
                             double* gather_seconds) {
  FailureGuard guard(*this);
  const int P = nranks_, r = rank_, next = (r + 1) % P, prev = (r + P - 1) % P;
  if constexpr (!std::is_floating_point_v<T>) {
    if (average) raise(lioncubInvalidArgument, "allreduce: average needs a floating-point type");
  }
  if (P == 1 || count == 0) return;
  std::vector<size_t> lo(static_cast<size_t>(P) + 1);
  for (int j = 0; j <= P; ++j) lo[j] = count * static_cast<size_t>(j) / static_cast<size_t>(P);
  size_t max_seg = 0;
  for (int j = 0; j < P; ++j) max_seg = std::max(max_seg, lo[j + 1] - lo[j]);
  T* tmp = static_cast<T*>(internal_.get(0, max_seg * sizeof(T)));
  uint8_t* tmp_bytes = reinterpret_cast<uint8_t*>(tmp);
  // Reduce-scatter: after step s, segment (r-s-1) holds s+2 ranks' sum; rank r ends owning r+1.
  for (int s = 0; s < P - 1; ++s) {
    const int sseg = (r - s + P) % P, rseg = (r - s - 1 + 2 * P) % P;
    const size_t rn = lo[rseg + 1] - lo[rseg], sn = lo[sseg + 1] - lo[sseg];
    std::vector<Pending> recvs;
    std::vector<Pending> sends;
    post_recv(prev, tmp_bytes, rn * sizeof(T), &recvs);
    post_send(next, reinterpret_cast<const uint8_t*>(buf + lo[sseg]), sn * sizeof(T), &sends);
    T* acc = buf + lo[rseg];
    size_t done = 0;
    for (const Pending& p : recvs) {  // add chunk k while chunk k+1 is still arriving
      wait(p, true);
      const double t0 = now_s();
      const size_t n = p.bytes / sizeof(T);
      T* __restrict a = acc + done;
      const T* __restrict x = tmp + done;
      for (size_t i = 0; i < n; ++i) a[i] = static_cast<T>(a[i] + x[i]);
      done += n;
      if (reduce_seconds) *reduce_seconds += now_s() - t0;
    }
    for (const Pending& q : sends) wait(q, false);
  }
  const int own = (r + 1) % P;
  if constexpr (std::is_floating_point_v<T>) {
    if (average) {
      const double t0 = now_s();
      const T div = static_cast<T>(P);
      for (size_t i = lo[own]; i < lo[own + 1]; ++i) buf[i] = buf[i] / div;
      if (reduce_seconds) *reduce_seconds += now_s() - t0;
    }
  }
  // Allgather of the owned segments: step s sends segment (r+1-s), receives (r-s).
  const double t0 = now_s();
  for (int s = 0; s < P - 1; ++s) {
    const int sseg = (own - s + P) % P, rseg = (own - s - 1 + 2 * P) % P;
    std::vector<Pending> recvs;
    std::vector<Pending> sends;
    post_recv(prev, reinterpret_cast<uint8_t*>(buf + lo[rseg]), (lo[rseg + 1] - lo[rseg]) * sizeof(T),
              &recvs);
    post_send(next, reinterpret_cast<const uint8_t*>(buf + lo[sseg]),
              (lo[sseg + 1] - lo[sseg]) * sizeof(T), &sends);
    for (const Pending& p : recvs) wait(p, true);
    for (const Pending& q : sends) wait(q, false);
  }
  if (gather_seconds) *gather_seconds += now_s() - t0;
}

void HostComm::allreduce(const void* send, void* recv, size_t count, Lane lane, bool average,
                         double* reduce_s, double* gather_s) {
  if (count > 0 && send != recv) std::memmove(recv, send, count * lane_size(lane));
  switch (lane) {
    case Lane::f32:
      return allreduce_sum<float>(static_cast<float*>(recv), count, average, reduce_s, gather_s);
    case Lane::i32:
      return allreduce_sum<int32_t>(static_cast<int32_t*>(recv), count, average, reduce_s, gather_s);
    case Lane::i16:
      return allreduce_sum<int16_t>(static_cast<int16_t*>(recv), count, average, reduce_s, gather_s);
    case Lane::u8:
      return allreduce_sum<uint8_t>(static_cast<uint8_t*>(recv), count, average, reduce_s, gather_s);
  }
}

void HostComm::allgather_control(void* buf, size_t block) {
  std::vector<size_t> off(static_cast<size_t>(nranks_)), sz(static_cast<size_t>(nranks_), block);
  for (int j = 0; j < nranks_; ++j) off[j] = block * static_cast<size_t>(j);
  allgatherv(buf, off.data(), sz.data());
}

void HostComm::copy(void* dst, const void* src, size_t bytes) {
  if (bytes > 0 && dst != src) std::memmove(dst, src, bytes);
}

void HostComm::fill(void* dst, int byte, size_t bytes) {
  if (bytes > 0) std::memset(dst, byte, bytes);
}

template void HostComm::allreduce_sum<float>(float*, size_t, bool, double*, double*);
template void HostComm::allreduce_sum<int32_t>(int32_t*, size_t, bool, double*, double*);
template void HostComm::allreduce_sum<int16_t>(int16_t*, size_t, bool, double*, double*);
template void HostComm::allreduce_sum<uint8_t>(uint8_t*, size_t, bool, double*, double*);

}  // namespace lioncub::coll
