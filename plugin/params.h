// The settings registry: every knob is declared once (name, environment variable, NCCL
// fallback variable, default, bounds, meaning). Values are read from LIONCUB_NET_<NAME>, else
// from the matching NCCL_SOCKET_* variable where one exists, else the default; each value
// records where it came from so the INFO log and docs/transport.md can say.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fault.h"

namespace lioncub::net {

enum class ParamSource { kDefault, kEnv, kNcclEnv };

struct IntParamSpec {
  const char* name;        // short name, e.g. "streams"
  const char* env;         // LIONCUB_NET_STREAMS
  const char* nccl_env;    // NCCL fallback or nullptr
  int64_t def;
  int64_t min;
  int64_t max;
  const char* help;
};

struct Settings {
  int64_t streams;            // data streams per connection
  int64_t threads;            // progress threads per comm
  int64_t min_chunk;          // smallest stripe chunk in bytes
  int64_t inline_max;         // payloads up to this size travel on the control stream
  int64_t max_requests;       // requests in flight per comm
  int64_t connect_timeout_ms; // connect / accept / hello deadline
  int64_t stall_timeout_ms;   // bytes in flight that cannot move for this long -> error
  int64_t sndbuf;             // SO_SNDBUF, 0 = kernel autotuning
  int64_t rcvbuf;             // SO_RCVBUF, 0 = kernel autotuning
  int64_t speed_mbps;         // reported link speed override, 0 = read from /sys
  int64_t staging_bytes;      // receive side: bound on early (unmatched) messages held per comm
  std::string ifname;         // interface filter (NCCL syntax: prefix list, ^ excludes, = exact)
  std::string ifname_source;  // "default", env var name
  std::shared_ptr<const FaultPlan> fault;  // LIONCUB_NET_FAULT (tests only); null = off
  // Job scoping (hello.h): LIONCUB_JOB_ID, else TORCHELASTIC_RUN_ID; empty = none.
  std::string job_id;
  uint64_t job_hash = 0;                   // 64-bit FNV-1a of job_id, 0 = none
  // LIONCUB_SECRET (a value, or @path to a file only its owner can read); null = none.
  std::shared_ptr<const std::string> secret;
};

// Socket buffers below this are raised to it (a tiny window makes every transfer crawl).
constexpr int64_t kMinSocketBuffer = 64 << 10;

// Streams when only NCCL's variables are set: NCCL_SOCKET_NTHREADS x NCCL_NSOCKS_PERTHREAD, as
// NCCL's socket transport opens that many sockets per connection.
constexpr int64_t kMaxStreamsTotal = 64;

// NCCL_SOCKET_* variables with no lioncub equivalent: a warning, once per process, when set.
const std::vector<const char*>& ignored_nccl_settings();

// Whether this build honours LIONCUB_NET_FAULT (CMake option LIONCUB_FAULT_INJECTION).
bool fault_injection_built();

// The secret named by LIONCUB_SECRET's value: the value itself, or the contents of the file
// after '@' (trailing newlines dropped), which must be a regular file owned by this user and
// readable by nobody else. Throws NetError with the reason otherwise; null for null/empty.
std::shared_ptr<const std::string> load_secret(const char* value);

uint64_t job_hash(const std::string& job_id);

// The declared integer settings, in a stable order (for docs and tests).
const std::vector<IntParamSpec>& int_param_specs();

// Parses an integer setting value; nullopt on garbage, trailing junk or out of bounds.
// Accepts decimal, 0x hex and the suffixes K, M, G (binary).
std::optional<int64_t> parse_int_setting(std::string_view text, int64_t min, int64_t max);

// Reads every setting from `getenv` (defaults to ::getenv), logging each value and its source;
// invalid values are reported and replaced by the default.
Settings load_settings(const std::function<const char*(const char*)>& getenv = {});

// The settings in effect: re-read from the environment by every init (so a process can change
// them between communicators); each comm keeps the snapshot it was created with.
std::shared_ptr<const Settings> settings();
void reload_settings();

}  // namespace lioncub::net
