// The host backend: P processes exchanging CPU memory through a net plugin (net_client.h, which
// drives its ncclNet_v11_t table like NCCL's proxy: listen/connect/accept, isend/irecv/test). One connection per ordered
// pair of ranks: the ring uses (r -> r+1), the all-to-all uses every pair.
//
// Primitives (every rank calls them in the same order with matching sizes; messages on a
// connection match in order, so no tags are needed):
//   allgatherv      ring, P-1 steps: step s sends block (r-s) to r+1, receives block (r-s-1)
//                   from r-1, each block cut into chunks posted together
//   alltoallv       pairwise: all receives posted, then the sends to r+1, r+2, ... r+P-1
//   allreduce_sum   ring reduce-scatter then ring allgather over P segments; within a step the
//                   chunks of the incoming segment are added as they arrive, so adding chunk k
//                   overlaps receiving chunk k+1
// Not thread-safe: one caller thread per communicator. It is one Backend (backend.h) of the
// algorithms; blocking, CPU memory, seconds measured.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "collectives/backend/backend.h"
#include "collectives/backend/host/net_client.h"
#include "rendezvous/tcp_store.h"

namespace lioncub::coll {

using rendezvous::StoreClient;
using rendezvous::StoreServer;

class HostComm final : public Backend {
 public:
  // Rendezvous through the store at `rendezvous` (rank 0 serves it); `plugin_path` is the net
  // plugin library to dlopen.
  HostComm(int nranks, int rank, const std::string& rendezvous, const std::string& plugin_path);
  ~HostComm();
  HostComm(const HostComm&) = delete;
  HostComm& operator=(const HostComm&) = delete;

  int rank() const override { return rank_; }
  int size() const override { return nranks_; }
  lioncubMemory_t memory() const override { return lioncubMemHost; }
  bool timed() const override { return true; }
  const std::string& plugin_path() const { return plugin_path_; }
  // The link speed the net plugin reports for device 0 (Mbit/s), 0 when unknown or P = 1.
  int link_mbps() const { return link_mbps_; }

  void allgatherv(void* buf, const size_t* offsets, const size_t* sizes) override;
  void alltoallv(const void* send, const size_t* send_offsets, const size_t* send_sizes,
                 void* recv, const size_t* recv_offsets, const size_t* recv_sizes) override;
  void allreduce(const void* send, void* recv, size_t count, Lane lane, bool average,
                 double* reduce_s, double* gather_s) override;
  void allgather_control(void* buf, size_t block) override;
  void copy(void* dst, const void* src, size_t bytes) override;
  void fill(void* dst, int byte, size_t bytes) override;
  void* scratch(int slot, size_t bytes) override { return scratch_.get(slot, bytes); }

  // In-place sum over ranks (average: the owner of each segment divides by P before the
  // allgather, so every rank gets identical bits). T: float, int32_t, int16_t, uint8_t.
  // reduce_seconds (optional) accumulates the time spent adding.
  template <class T>
  void allreduce_sum(T* buf, size_t count, bool average, double* reduce_seconds,
                     double* gather_seconds);

 private:
  // Entered by every primitive. When the primitive leaves by an exception, its posted requests
  // may still point into the caller's buffers, which the caller may free at once: the guard
  // closes every connection first (closing joins the plugin's threads, so nothing touches those
  // buffers afterwards) and the communicator refuses later calls.
  class FailureGuard {
   public:
    explicit FailureGuard(HostComm& c);
    ~FailureGuard();

   private:
    HostComm& comm_;
    int exceptions_;
  };
  void close_all() noexcept;

  struct Pending {  // a posted send or receive, with what its errors must name
    void* request;
    size_t bytes;
    int peer;
  };
  void* send_to(int peer, const void* data, size_t bytes);
  void* recv_from(int peer, void* data, size_t bytes);
  // Waits for a posted send or receive; a failure or timeout names this rank, the peer and the
  // direction (the plugin's own message, with the peer's address, goes to its log only).
  void wait(const Pending& p, bool is_recv);
  // Posts chunks of a block to/from a peer; returns the requests.
  void post_send(int peer, const uint8_t* data, size_t bytes, std::vector<Pending>* reqs);
  void post_recv(int peer, uint8_t* data, size_t bytes, std::vector<Pending>* reqs);
  void connect_all(StoreClient& store, double deadline_s);

  int nranks_ = 1;
  int rank_ = 0;
  std::string plugin_path_;
  double timeout_s_ = 300.0;
  // Declared in teardown order, last first: the comms close (joining their progress threads)
  // before the plugin context is finalized and before rank 0's store stops. A constructor that
  // throws halfway destroys what it made the same way.
  std::unique_ptr<StoreServer> server_;
  std::unique_ptr<NetClient> net_;
  std::vector<NetComm> send_comms_;  // [peer], empty for self
  std::vector<NetComm> recv_comms_;
  int link_mbps_ = 0;
  HostScratch scratch_;
  HostScratch internal_;  // allreduce_sum's receive segment
  std::vector<Pending> recvs_;  // reused request lists
  std::vector<Pending> sends_;
  bool broken_ = false;  // a primitive failed: connections closed
};

// Chunk size for a message of `bytes`: large enough to fill the pipe, small enough to overlap.
size_t chunk_bytes(size_t bytes);

}  // namespace lioncub::coll
