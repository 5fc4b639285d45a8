// A connection's one end: the send comm (connector side) or the receive comm (acceptor side).
// One control stream carries a 16-byte message (size, tag) per isend, small payloads inline;
// larger payloads are striped over the data streams by for_each_chunk (message.h).
//
// Threads: the caller's thread (NCCL's proxy) posts requests and polls them; workers
// (progress.h) move bytes. `mu_` guards the comm's queues of posted receives and arrived
// messages; each stream's own mutex guards its piece queue. Lock order: mu_, then a stream's.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_set>
#include <vector>

#include "abi/common.h"
#include "fault.h"
#include "progress.h"
#include "request.h"
#include "socket.h"

namespace lioncub::net {

struct Staged;

// A contiguous run of bytes to move on one stream. ptr == nullptr discards (truncated receive).
// A piece serves either a request (req) or the drain of a staged message (stage).
struct Piece {
  uint8_t* ptr = nullptr;
  uint64_t len = 0;
  uint64_t done = 0;
  Request* req = nullptr;
  Staged* stage = nullptr;
};

// A message that arrived before any posted receive slot wanted its tag. Its payload is drained
// into `buf` (owned by the comm) so that the messages behind it can still match; a later irecv
// with its tag copies it out. Guarded by the comm's mu_.
struct Staged {
  uint64_t seq = 0;
  uint64_t size = 0;
  int32_t tag = 0;
  std::unique_ptr<uint8_t[]> buf;
  int64_t pending = 0;       // pieces still arriving on data streams
  Request* target = nullptr; // matched slot waiting for the drain to finish
  int slot = -1;
  bool discard = false;      // refused (larger than the receive that matched it): drained, freed
};

// A stream of a comm; the worker that serves it sees only its Pollable part.
struct Stream : Pollable {
  int index = -1;  // -1 = control, else data stream index
  Worker* worker = nullptr;
  std::mutex mu;
  std::deque<Piece> queue;  // guarded by mu
  int64_t last_progress_ms = 0;  // guarded by mu
  // Worker-only state:
  bool eof = false;
  std::vector<uint8_t> scratch;  // discard target for truncated receives
  std::unique_ptr<StreamFault> fault;  // injected faults (LIONCUB_NET_FAULT); null = none
};

struct CommParams {
  uint32_t streams = 1;
  uint64_t min_chunk = 1 << 16;
  uint32_t inline_max = 0;
  int threads = 1;
  int max_requests = 256;
  int64_t stall_timeout_ms = 0;
  uint64_t staging_bytes = 0;  // receive: bound on bytes held by staged messages
  std::string peer;  // "address:port" for messages
  std::shared_ptr<const FaultPlan> fault;  // tests only (fault.h); null = off
};

// The comm is its workers' StreamHandler (progress.h); they never see the rest of it.
class Comm final : private StreamHandler {
 public:
  enum class Kind { kSend, kRecv };

  // fds[0] is the control stream, fds[1..] the data streams.
  Comm(Kind kind, std::vector<Fd> fds, CommParams params);
  ~Comm();  // stops workers, frees requests still in flight, closes streams
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  Kind kind() const { return kind_; }
  const std::string& peer() const override { return params_.peer; }
  void* token = nullptr;

  // Posting returns nullptr when max_requests are already in flight (the caller retries).
  Request* isend(uint8_t* data, uint64_t size, int tag);
  Request* irecv(int n, uint8_t** data, const uint64_t* sizes, const int* tags);
  // Once the request is done (done = true): fills sizes (may be null), frees the request and
  // reports its error, if any. While not done: code is the comm's failure, if any.
  struct TestResult {
    bool done = false;
    abi::ncclResult_t code = abi::ncclSuccess;
    std::string message;
  };
  TestResult test(Request* req, int* sizes);

  template <typename Fn>
  void for_each_live(Fn&& fn) {
    std::lock_guard<std::mutex> lock(mu_);
    for (Request* r : live_) fn(r);
  }

  bool failed() const override {
    return fail_code_.load(std::memory_order_acquire) != abi::ncclSuccess;
  }

 private:
  // StreamHandler, for the workers. Every Pollable they pass back is one of streams_.
  uint32_t wanted_events(Pollable& p) override;
  void service(Pollable& p, uint32_t events) override;
  bool busy(const std::vector<Pollable*>& streams) override;
  void check_stalls(const std::vector<Pollable*>& streams, int64_t now) override;
  void fail(abi::ncclResult_t code, const std::string& msg) override;
  int64_t tick_ms() const override;
  static Stream& stream_of(Pollable& p) { return static_cast<Stream&>(p); }

  void push(Stream& s, const Piece& p);
  void inject_reset(Stream& s);
  void move_bytes(Stream& s, bool sending);
  void read_control(Stream& s);
  struct Incoming {
    uint64_t seq;
    uint64_t size;
    int32_t tag;
    std::vector<uint8_t> inline_data;
  };
  // Charged per staged message on top of its size, so empty messages are bounded too.
  static constexpr uint64_t kStagedOverhead = 128;
  bool claim_slot_locked(Request* r, int slot, uint64_t size, int32_t tag);
  void match_locked();
  void rematch_locked();
  void stage_locked(Incoming& in);
  bool match_staged_locked(Request* r);
  void deliver_staged_locked(Staged* st);
  void free_staged_locked(Staged* st);
  void finish_piece(Request* r);
  void finish_stage(Staged* st);
  [[noreturn]] void throw_failure();
  std::string stream_name(const Stream& s) const;

  const Kind kind_;
  const CommParams params_;
  std::vector<std::unique_ptr<Stream>> streams_;  // [0] control, [1 + i] data stream i

  std::mutex mu_;
  uint64_t next_seq_ = 0;                    // messages posted (send) or parsed (receive)
  std::unordered_set<Request*> live_;        // requests handed out, not yet freed
  std::deque<Request*> posted_;              // receives with unmatched slots, post order
  std::deque<Incoming> incoming_;            // arrived messages not yet matched or staged
  // Staged messages in arrival order: unmatched ones (target == nullptr) and matched ones whose
  // drain is still in progress. A message matches only if no older unmatched message has its
  // tag, so per-tag order is kept.
  std::deque<std::unique_ptr<Staged>> staged_;
  uint64_t staged_bytes_ = 0;                // charged for staged_, bounded by staging_bytes
  std::vector<uint8_t> ctrl_buf_;            // control receive staging (control worker only)
  size_t ctrl_have_ = 0;
  bool peer_closed_ = false;                 // control stream saw an orderly EOF (guarded by mu_)

  std::atomic<abi::ncclResult_t> fail_code_{abi::ncclSuccess};
  std::mutex fail_mu_;
  std::string fail_msg_;

  // Last, so it is destroyed first: if a worker's thread fails to start, the workers already
  // running are joined before the members they use are destroyed.
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace lioncub::net
