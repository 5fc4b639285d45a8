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
#include "progress.h"
#include "request.h"
#include "socket.h"

namespace lioncub::net {

// A contiguous run of bytes to move on one stream. ptr == nullptr discards (truncated receive).
struct Piece {
  uint8_t* ptr = nullptr;
  uint64_t len = 0;
  uint64_t done = 0;
  Request* req = nullptr;
};

struct Stream {
  Fd fd;
  int index = -1;  // -1 = control, else data stream index
  Worker* worker = nullptr;
  std::mutex mu;
  std::deque<Piece> queue;  // guarded by mu
  int64_t last_progress_ms = 0;  // guarded by mu
  // Worker-only state:
  uint32_t armed = 0;
  bool registered = false;
  bool eof = false;
  std::vector<uint8_t> scratch;  // discard target for truncated receives
};

struct CommParams {
  uint32_t streams = 1;
  uint64_t min_chunk = 1 << 16;
  uint32_t inline_max = 0;
  int threads = 1;
  int max_requests = 256;
  int64_t stall_timeout_ms = 0;
  std::string peer;  // "address:port" for messages
};

class Comm {
 public:
  enum class Kind { kSend, kRecv };

  // fds[0] is the control stream, fds[1..] the data streams.
  Comm(Kind kind, std::vector<Fd> fds, CommParams params);
  ~Comm();  // stops workers, frees requests still in flight, closes streams
  Comm(const Comm&) = delete;
  Comm& operator=(const Comm&) = delete;

  Kind kind() const { return kind_; }
  const std::string& peer() const { return params_.peer; }
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

  // Worker interface.
  uint32_t wanted_events(Stream& s);
  void service(Stream& s, uint32_t events);
  bool busy(const std::vector<Stream*>& streams);
  void check_stalls(const std::vector<Stream*>& streams, int64_t now);
  bool failed() const { return fail_code_.load(std::memory_order_acquire) != abi::ncclSuccess; }
  void fail(abi::ncclResult_t code, const std::string& msg);
  int64_t tick_ms() const;

 private:
  void push(Stream& s, const Piece& p);
  void move_bytes(Stream& s, bool sending);
  void read_control(Stream& s);
  void match_locked();
  void finish_piece(Request* r);
  [[noreturn]] void throw_failure();
  std::string stream_name(const Stream& s) const;

  const Kind kind_;
  const CommParams params_;
  std::vector<std::unique_ptr<Stream>> streams_;  // [0] control, [1 + i] data stream i
  std::vector<std::unique_ptr<Worker>> workers_;

  std::mutex mu_;
  uint64_t next_seq_ = 0;                    // messages posted (send) or parsed (receive)
  std::unordered_set<Request*> live_;        // requests handed out, not yet freed
  std::deque<Request*> posted_;              // receives with unmatched slots, post order
  struct Incoming {
    uint64_t seq;
    uint64_t size;
    int32_t tag;
    std::vector<uint8_t> inline_data;
  };
  std::deque<Incoming> incoming_;            // arrived messages not yet matched
  std::vector<uint8_t> ctrl_buf_;            // control receive staging (control worker only)
  size_t ctrl_have_ = 0;
  bool peer_closed_ = false;                 // control stream saw an orderly EOF (guarded by mu_)

  std::atomic<abi::ncclResult_t> fail_code_{abi::ncclSuccess};
  std::mutex fail_mu_;
  std::string fail_msg_;
};

}  // namespace lioncub::net
