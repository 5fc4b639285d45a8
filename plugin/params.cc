#include "params.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <mutex>

#include "log.h"

namespace lioncub::net {
namespace {

// Defaults: see docs/transport.md ("Settings") for the measurements behind them.
const std::vector<IntParamSpec> kSpecs = {
    {"streams", "LIONCUB_NET_STREAMS", nullptr, 8, 1, 64,
     "data streams (TCP connections) per connection, besides the control stream"},
    {"threads", "LIONCUB_NET_THREADS", "NCCL_SOCKET_NTHREADS", 2, 1, 16,
     "progress threads per comm, each sleeping in epoll"},
    {"min_chunk", "LIONCUB_NET_MIN_CHUNK", "NCCL_SOCKET_MIN_TASKSIZE", 128 << 10, 4 << 10, 1 << 30,
     "smallest stripe chunk; a message uses max(min_chunk, size/streams) chunks"},
    {"inline_max", "LIONCUB_NET_INLINE", "NCCL_SOCKET_INLINE", 4096, 0, 65536,
     "payloads up to this many bytes ride on the control stream after the size"},
    {"max_requests", "LIONCUB_NET_MAX_REQUESTS", nullptr, 256, 32, 65536,
     "requests in flight per comm before isend/irecv return a null request"},
    {"connect_timeout_ms", "LIONCUB_NET_CONNECT_TIMEOUT_MS", nullptr, 30000, 100, 3600000,
     "deadline for connect, for a connection's hello, and for accept's acknowledgement"},
    {"stall_timeout_ms", "LIONCUB_NET_TIMEOUT_MS", nullptr, 300000, 100, 86400000,
     "bytes in flight that make no progress for this long fail the comm (peer named)"},
    {"sndbuf", "LIONCUB_NET_SNDBUF", nullptr, 0, 0, 1 << 30, "SO_SNDBUF, 0 = kernel autotuning"},
    {"rcvbuf", "LIONCUB_NET_RCVBUF", nullptr, 0, 0, 1 << 30, "SO_RCVBUF, 0 = kernel autotuning"},
    {"speed_mbps", "LIONCUB_NET_SPEED_MBPS", nullptr, 0, 0, 1 << 30,
     "link speed reported to NCCL, 0 = /sys/class/net/<if>/speed (10000 if unknown)"},
    {"staging_bytes", "LIONCUB_NET_STAGING_BYTES", nullptr, int64_t{256} << 20, 0, int64_t{64} << 30,
     "bytes per receive comm for messages that arrive before their receive is posted; "
     "0 = none (such a message blocks those behind it)"},
};

std::mutex g_mu;
std::shared_ptr<const Settings> g_settings;

}  // namespace

const std::vector<IntParamSpec>& int_param_specs() { return kSpecs; }

std::optional<int64_t> parse_int_setting(std::string_view text, int64_t min, int64_t max) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front()))) text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.remove_suffix(1);
  if (text.empty() || text.size() > 40) return std::nullopt;
  int64_t mult = 1;
  switch (std::toupper(static_cast<unsigned char>(text.back()))) {
    case 'K': mult = int64_t{1} << 10; break;
    case 'M': mult = int64_t{1} << 20; break;
    case 'G': mult = int64_t{1} << 30; break;
    default: break;
  }
  if (mult != 1) text.remove_suffix(1);
  std::string s(text);
  if (s.empty() || s[0] == '-' || s[0] == '+') return std::nullopt;
  char* end = nullptr;
  errno = 0;
  unsigned long long v = std::strtoull(s.c_str(), &end, 0);
  if (errno != 0 || end == s.c_str() || *end != '\0') return std::nullopt;
  if (v > static_cast<unsigned long long>(INT64_MAX) / static_cast<unsigned long long>(mult)) {
    return std::nullopt;
  }
  int64_t value = static_cast<int64_t>(v) * mult;
  if (value < min || value > max) return std::nullopt;
  return value;
}

Settings load_settings(const std::function<const char*(const char*)>& getenv_fn) {
  auto get = [&](const char* name) -> const char* {
    return getenv_fn ? getenv_fn(name) : std::getenv(name);
  };
  Settings s{};
  int64_t* slots[] = {&s.streams,      &s.threads,           &s.min_chunk,
                      &s.inline_max,   &s.max_requests,      &s.connect_timeout_ms,
                      &s.stall_timeout_ms, &s.sndbuf,        &s.rcvbuf,
                      &s.speed_mbps,   &s.staging_bytes};
  static_assert(sizeof(slots) / sizeof(slots[0]) == 11);
  for (size_t i = 0; i < kSpecs.size(); ++i) {
    const IntParamSpec& spec = kSpecs[i];
    *slots[i] = spec.def;
    const char* source = "default";
    for (const char* var : {spec.env, spec.nccl_env}) {
      if (var == nullptr) continue;
      const char* text = get(var);
      if (text == nullptr) continue;
      if (auto v = parse_int_setting(text, spec.min, spec.max)) {
        *slots[i] = *v;
        source = var;
      } else {
        log_warn("ignoring %s=\"%s\": want an integer in [%lld, %lld]; using %lld", var, text,
                 static_cast<long long>(spec.min), static_cast<long long>(spec.max),
                 static_cast<long long>(*slots[i]));
      }
      break;  // the LIONCUB_NET_* variable, when set, hides the NCCL one
    }
    log_info("setting %s = %lld (%s)", spec.name, static_cast<long long>(*slots[i]), source);
  }
  s.ifname_source = "default";
  for (const char* var : {"LIONCUB_NET_IFNAME", "NCCL_SOCKET_IFNAME"}) {
    if (const char* text = get(var); text != nullptr && *text != '\0') {
      s.ifname = text;
      s.ifname_source = var;
      break;
    }
  }
  log_info("setting ifname = \"%s\" (%s)", s.ifname.c_str(), s.ifname_source.c_str());
  s.fault = load_fault_plan(get("LIONCUB_NET_FAULT"));
  return s;
}

std::shared_ptr<const Settings> settings() {
  std::lock_guard<std::mutex> lock(g_mu);
  if (!g_settings) g_settings = std::make_shared<const Settings>(load_settings());
  return g_settings;
}

void reload_settings() {
  auto fresh = std::make_shared<const Settings>(load_settings());
  std::lock_guard<std::mutex> lock(g_mu);
  g_settings = std::move(fresh);
}

}  // namespace lioncub::net
