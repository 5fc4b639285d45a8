// The TCP store's server, run by rank 0 on a thread of its own: one epoll loop over
// non-blocking sockets with a buffer per client, so a slow or silent client delays only itself
// (PyTorch's libuv TCPStore is the model). Protocol: wire.h.
//
// Defences (docs/reliability.md, "Security model"):
//  - bound to the address the rendezvous names (a wildcard only when that address is one, or
//    LIONCUB_STORE_BIND asks); sessions start with a hello naming the job, rank and world size;
//    another job, a rank outside [0, P) or another P is refused with a reason;
//  - with a secret, every request and reply is MACed (wire.h);
//  - keys are set once; a second set aborts the rendezvous ("rank r registered twice");
//  - caps on connections, keys, value size and total bytes; frames above the cap are refused
//    from their length prefix, before anything is allocated;
//  - a connection must finish its hello and each frame within frame_timeout_s, and idle
//    sessions (not waiting for a key) are dropped after idle_timeout_s;
//  - at the connection cap or on EMFILE/ENFILE the oldest connection that never said hello is
//    dropped; failing that, a reserve descriptor is freed to accept and close (nginx, libuv), and
//    accepting pauses briefly instead of spinning on a readable listener;
//  - once every rank has said `done` the server closes its sockets and its thread ends.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <thread>

#include "rendezvous/job.h"
#include "rendezvous/store.h"

namespace lioncub::rendezvous {

struct Endpoint {
  std::string host;
  int port = 0;
};
// Parses "host:port" or "[v6addr]:port"; throws Error(lioncubInvalidArgument) when malformed.
Endpoint parse_endpoint(const std::string& text);
std::string to_string(const Endpoint& e);

constexpr int kMaxStoreRanks = 1024;  // P^2 slots of ~160 B on rank 0: 160 MiB at the cap

struct ServerLimits {
  double frame_timeout_s = 5.0;  // hello and every frame complete within this
  double idle_timeout_s = 60.0;  // a session neither sending nor waiting is dropped
  size_t max_connections = 0;    // 0: 64 + 2P
  size_t max_keys = 0;           // 0: P + 16
  size_t max_value = 0;          // 0: 256 P + 4096 (one rank's P slots)
  size_t max_total = 0;          // 0: max_keys x max_value
  bool bind_any = false;         // bind the wildcard address of the host's family
};

class StoreServer {
 public:
  // Binds `at` (port 0: an ephemeral port, see port()); throws Error on a bind failure, naming
  // the address (EADDRINUSE: another job's store may hold the port).
  StoreServer(const Endpoint& at, const Job& job, ServerLimits limits = {});
  ~StoreServer();
  StoreServer(const StoreServer&) = delete;
  StoreServer& operator=(const StoreServer&) = delete;
  int port() const { return port_; }
  // Rank 0 failed the rendezvous: every waiting and later `get` fails with this reason.
  void abort(int code, const std::string& why);
  // Every rank said done and the server closed its sockets.
  bool finished() const { return finished_; }
  // Counters for tests: connections dropped (cap, EMFILE, timeouts, refusals) and bytes stored.
  size_t dropped() const { return dropped_; }
  size_t stored_bytes() const { return stored_bytes_; }

 private:
  struct Loop;
  void serve();

  Job job_;
  ServerLimits limits_;
  int listen_fd_ = -1;
  int wake_fd_ = -1;
  int port_ = 0;
  StoreId id_{};
  std::atomic<bool> stop_{false};
  std::atomic<bool> finished_{false};
  std::atomic<size_t> dropped_{0};
  std::atomic<size_t> stored_bytes_{0};
  std::mutex abort_mu_;
  int abort_code_ = 0;
  std::string abort_why_;
  std::thread thread_;
};

}  // namespace lioncub::rendezvous
