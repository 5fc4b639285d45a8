// Fault injection for tests: faults below TCP (loss, delay, resets) cannot be made in the kernel
// of the development machines (no netem, no packet filter), so the transport can make them
// itself. LIONCUB_NET_FAULT=<spec>, read at every init like the other settings; unset (the
// normal case) costs one null-pointer test per I/O call. Grammar (docs/transport.md, "Fault
// injection"):
//
//   spec := rule (';' rule)*
//   rule := kind [':' key '=' value (',' key '=' value)*]
//   kind := short | stall | reset | delay
//   keys: side=send|recv|any   which comms (send comm = connector side, recv comm = acceptor)
//         stream=c|all|<k>     control stream, every stream, or data stream k
//         comm=<n>             only the n-th comm of that side made since init (0-based)
//         max=<bytes>          short: each read/write moves at most a log-uniform 1..max bytes
//         seed=<n>             short: random sequence (per stream: seed + stream)
//         after=<bytes>        stall/reset: after this many payload bytes on the stream
//         ms=<n>, every=<n>    delay: hold each n-th piece of the stream for ms before moving it
//
// Examples: "short:max=64" (every read and write short), "stall:stream=1,after=4096",
// "reset:side=send,stream=c,after=20", "delay:stream=0,ms=40".
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace lioncub::net {

enum class FaultKind { kShort, kStall, kReset, kDelay };
enum class FaultSide { kAny, kSend, kRecv };

struct FaultRule {
  FaultKind kind = FaultKind::kShort;
  FaultSide side = FaultSide::kAny;
  int stream = -2;          // -2 all, -1 control, k >= 0 data stream k
  int64_t comm = -1;        // -1 every comm
  uint64_t max = 64;        // short
  uint64_t seed = 1;        // short
  uint64_t after = 0;       // stall, reset
  int64_t ms = 0;           // delay
  uint64_t every = 1;       // delay
};

// A parsed spec. Comm counters are per plan (a plan lives from one init to the next).
struct FaultPlan {
  std::vector<FaultRule> rules;
  std::string text;
  mutable std::atomic<int64_t> send_comms{0};
  mutable std::atomic<int64_t> recv_comms{0};
};

// Parses a spec; nullopt with *why on any unknown kind, key or bad value.
std::optional<std::vector<FaultRule>> parse_fault_spec(std::string_view spec, std::string* why);

// LIONCUB_NET_FAULT's plan, or null when unset or invalid (a WARN says why).
std::shared_ptr<const FaultPlan> load_fault_plan(const char* text);

// What one stream of one comm does wrong. Worker-thread state (except the constructor).
class StreamFault {
 public:
  // The rules of `plan` that apply to stream `index` (-1 control) of the comm numbered
  // `comm_number` on `side`; null when none does.
  static std::unique_ptr<StreamFault> make(const FaultPlan& plan, FaultSide side, int index,
                                           int64_t comm_number);

  // Bytes the next read/write may move (<= want, > 0 for want > 0; 0 when stalled).
  uint64_t clip(uint64_t want);
  // Records bytes moved; returns true when the stream must now be reset.
  bool moved(uint64_t n);
  // Pieces finished (or control reads, on a receiving control stream): starts delays.
  void op_done() { ++ops_; }
  // Whether the stream must not move bytes now (stalled, or a delay is running).
  bool blocked(int64_t now_ms);
  // Whether a delay is running (the worker must keep ticking to end it).
  bool holding(int64_t now_ms) const { return now_ms < hold_until_; }
  // Whether the stream has moved its `after` bytes of a reset rule.
  bool reset_due() const { return total_ >= reset_after_; }
  uint64_t total() const { return total_; }
  const std::string& describe() const { return what_; }

 private:
  uint64_t next_random();

  uint64_t short_max_ = 0;  // 0 = no short I/O
  uint64_t rng_ = 0;
  uint64_t stall_after_ = UINT64_MAX;
  uint64_t reset_after_ = UINT64_MAX;
  int64_t delay_ms_ = 0;
  uint64_t delay_every_ = 1;
  uint64_t total_ = 0;
  uint64_t ops_ = 0;
  uint64_t held_for_ = UINT64_MAX;
  int64_t hold_until_ = 0;
  bool stalled_ = false;
  std::string what_;
};

// Resets a connected TCP socket in place (an RST goes to the peer; the fd stays open).
void reset_socket(int fd);

}  // namespace lioncub::net
