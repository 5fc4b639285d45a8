#include "params.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

#include "auth.h"
#include "error.h"
#include "log.h"
#include "socket.h"

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
    {"sndbuf", "LIONCUB_NET_SNDBUF", "NCCL_SOCKET_SNDBUF", 0, 0, 1 << 30,
     "SO_SNDBUF, 0 = kernel autotuning; values below 64 KiB are raised to 64 KiB"},
    {"rcvbuf", "LIONCUB_NET_RCVBUF", "NCCL_SOCKET_RCVBUF", 0, 0, 1 << 30,
     "SO_RCVBUF, 0 = kernel autotuning; values below 64 KiB are raised to 64 KiB"},
    {"speed_mbps", "LIONCUB_NET_SPEED_MBPS", nullptr, 0, 0, 1 << 30,
     "link speed reported to NCCL, 0 = /sys/class/net/<if>/speed (10000 if unknown)"},
    {"staging_bytes", "LIONCUB_NET_STAGING_BYTES", nullptr, int64_t{256} << 20, 0, int64_t{64} << 30,
     "bytes per receive comm for messages that arrive before their receive is posted; "
     "0 = none (such a message blocks those behind it)"},
};

const std::vector<const char*> kIgnoredNccl = {
    "NCCL_SOCKET_FAMILY",            // lioncub prefers the interface's IPv4 address, else IPv6
    "NCCL_SOCKET_RETRY_CNT",         // connects retry until LIONCUB_NET_CONNECT_TIMEOUT_MS
    "NCCL_SOCKET_RETRY_SLEEP_MSEC",  // (same)
    "NCCL_SOCKET_POLL_TIMEOUT_MSEC", // workers sleep in epoll; nothing polls on a timer
};

std::mutex g_mu;
std::shared_ptr<const Settings> g_settings;

// Warnings that a process should see once, not at every init.
bool first_time(const std::string& key) {
  static std::mutex mu;
  static std::set<std::string> seen;
  std::lock_guard<std::mutex> lock(mu);
  return seen.insert(key).second;
}

// NCCL writes -1 or -2 for "NCCL's default / auto-detect" in several of these variables.
bool nccl_means_default(const char* text) {
  return std::strcmp(text, "-1") == 0 || std::strcmp(text, "-2") == 0;
}

unsigned long info_flags(const char* source) {
  return std::strcmp(source, "default") == 0 ? abi::NCCL_INIT | abi::NCCL_NET
                                             : abi::NCCL_INIT | abi::NCCL_NET | abi::NCCL_ENV;
}

}  // namespace

const std::vector<const char*>& ignored_nccl_settings() { return kIgnoredNccl; }

bool fault_injection_built() {
#ifdef LIONCUB_FAULT_INJECTION
  return true;
#else
  return false;
#endif
}

uint64_t job_hash(const std::string& job_id) {
  if (job_id.empty()) return 0;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : job_id) h = (h ^ c) * 1099511628211ull;
  return h != 0 ? h : 1;
}

std::shared_ptr<const std::string> load_secret(const char* value) {
  if (value == nullptr || *value == '\0') return nullptr;
  if (value[0] != '@') return std::make_shared<const std::string>(value);
  const std::string path(value + 1);
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) throw_errno("LIONCUB_SECRET: cannot open " + path, errno);
  Fd owned(fd);
  struct stat st {};
  if (::fstat(fd, &st) != 0) throw_errno("LIONCUB_SECRET: cannot stat " + path, errno);
  if (!S_ISREG(st.st_mode)) throw_invalid_usage("LIONCUB_SECRET: " + path + " is not a regular file");
  if (st.st_uid != ::geteuid()) {
    throw_invalid_usage("LIONCUB_SECRET: " + path + " belongs to another user");
  }
  if ((st.st_mode & 077) != 0) {
    throw_invalid_usage("LIONCUB_SECRET: " + path +
                        " can be read or written by group or others (chmod 600 it)");
  }
  if (st.st_size > (1 << 16)) throw_invalid_usage("LIONCUB_SECRET: " + path + " is over 64 KiB");
  std::string text(static_cast<size_t>(st.st_size), '\0');
  size_t got = 0;
  while (got < text.size()) {
    const ssize_t n = ::read(fd, text.data() + got, text.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("LIONCUB_SECRET: cannot read " + path, errno);
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  text.resize(got);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  if (text.empty()) throw_invalid_usage("LIONCUB_SECRET: " + path + " is empty");
  return std::make_shared<const std::string>(std::move(text));
}

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
  const char* sources[sizeof(slots) / sizeof(slots[0])] = {};
  for (size_t i = 0; i < kSpecs.size(); ++i) {
    const IntParamSpec& spec = kSpecs[i];
    *slots[i] = spec.def;
    const char* source = "default";
    for (const char* var : {spec.env, spec.nccl_env}) {
      if (var == nullptr) continue;
      const char* text = get(var);
      if (text == nullptr) continue;
      if (var == spec.nccl_env && nccl_means_default(text)) break;
      if (auto v = parse_int_setting(text, spec.min, spec.max)) {
        *slots[i] = *v;
        source = var;
      } else {
        LIONCUB_NET_WARN("ignoring %s=\"%s\": want an integer in [%lld, %lld]; using %lld", var,
                         text, static_cast<long long>(spec.min), static_cast<long long>(spec.max),
                         static_cast<long long>(*slots[i]));
      }
      break;  // the LIONCUB_NET_* variable, when set, hides the NCCL one
    }
    sources[i] = source;
  }
  // NCCL's socket transport opens NCCL_SOCKET_NTHREADS x NCCL_NSOCKS_PERTHREAD sockets per
  // connection; without LIONCUB_NET_STREAMS, that product is the stream count here too.
  if (std::strcmp(sources[0], "default") == 0) {
    if (const char* text = get("NCCL_NSOCKS_PERTHREAD"); text != nullptr && !nccl_means_default(text)) {
      if (auto per = parse_int_setting(text, 1, kMaxStreamsTotal)) {
        int64_t total = *per * s.threads;
        if (total > kMaxStreamsTotal) {
          LIONCUB_NET_WARN("NCCL_NSOCKS_PERTHREAD=%lld x %lld threads = %lld streams exceeds %lld; "
                           "using %lld", static_cast<long long>(*per),
                           static_cast<long long>(s.threads), static_cast<long long>(total),
                           static_cast<long long>(kMaxStreamsTotal),
                           static_cast<long long>(kMaxStreamsTotal));
          total = kMaxStreamsTotal;
        }
        s.streams = total;
        sources[0] = "NCCL_NSOCKS_PERTHREAD";
      } else {
        LIONCUB_NET_WARN("ignoring NCCL_NSOCKS_PERTHREAD=\"%s\": want an integer in [1, %lld]", text,
                         static_cast<long long>(kMaxStreamsTotal));
      }
    }
  }
  for (int64_t* buf : {&s.sndbuf, &s.rcvbuf}) {
    if (*buf > 0 && *buf < kMinSocketBuffer) {
      const size_t i = buf == &s.sndbuf ? 7 : 8;
      LIONCUB_NET_WARN("%s=%lld is below %lld bytes; raised to %lld (a smaller window makes "
                       "every transfer crawl)", sources[i], static_cast<long long>(*buf),
                       static_cast<long long>(kMinSocketBuffer),
                       static_cast<long long>(kMinSocketBuffer));
      *buf = kMinSocketBuffer;
    }
  }
  for (size_t i = 0; i < kSpecs.size(); ++i) {
    LIONCUB_NET_INFO(info_flags(sources[i]), "setting %s = %lld (%s)", kSpecs[i].name,
                     static_cast<long long>(*slots[i]), sources[i]);
  }
  for (const char* var : kIgnoredNccl) {
    if (get(var) != nullptr && first_time(var)) {
      LIONCUB_NET_WARN("%s is set but has no lioncub equivalent; ignored (docs/transport.md, "
                       "\"Settings\")", var);
    }
  }
  s.ifname_source = "default";
  for (const char* var : {"LIONCUB_NET_IFNAME", "NCCL_SOCKET_IFNAME"}) {
    if (const char* text = get(var); text != nullptr && *text != '\0') {
      s.ifname = text;
      s.ifname_source = var;
      break;
    }
  }
  LIONCUB_NET_INFO(info_flags(s.ifname_source.c_str()), "setting ifname = \"%s\" (%s)",
                   s.ifname.c_str(), s.ifname_source.c_str());
  const char* fault = get("LIONCUB_NET_FAULT");
  if (fault_injection_built()) {
    s.fault = load_fault_plan(fault);
  } else if (fault != nullptr && first_time("LIONCUB_NET_FAULT")) {
    LIONCUB_NET_WARN("LIONCUB_NET_FAULT is set but ignored: this build has no fault injection "
                     "(configure with -DLIONCUB_FAULT_INJECTION=ON)");
  }
  for (const char* var : {"LIONCUB_JOB_ID", "TORCHELASTIC_RUN_ID"}) {
    if (const char* text = get(var); text != nullptr && *text != '\0') {
      s.job_id = text;
      break;
    }
  }
  s.job_hash = job_hash(s.job_id);
  s.secret = load_secret(get("LIONCUB_SECRET"));
  if (s.secret && !auth_available()) {
    throw_invalid_usage("LIONCUB_SECRET is set but this build of the plugin has no OpenSSL "
                        "(install libssl-dev and rebuild); refusing to run unauthenticated");
  }
  LIONCUB_NET_INFO(abi::NCCL_INIT | abi::NCCL_NET | abi::NCCL_ENV,
                   "job id \"%s\"%s; hellos %s", s.job_id.c_str(),
                   s.job_id.empty() ? " (none: connections from any job are accepted)" : "",
                   s.secret ? "authenticated with LIONCUB_SECRET (HMAC-SHA256)" : "not authenticated");
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
