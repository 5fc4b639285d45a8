#include "common/settings.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <set>

extern char** environ;

namespace lioncub {
namespace {

// The largest wait: INT_MAX milliseconds (24.8 days), so that any later conversion to an int
// of milliseconds (poll) cannot overflow.
constexpr double kMaxMillis = 2147483647.0;

const std::vector<SettingSpec> kSpecs = {
    {"LIONCUB_RANK", SettingType::kInt, "", 0, 32766, nullptr,
     "this process's rank for lioncubCommInitFromEnv (else RANK, OMPI_COMM_WORLD_RANK, "
     "SLURM_PROCID)"},
    {"LIONCUB_WORLD_SIZE", SettingType::kInt, "", 1, 32767, nullptr,
     "the number of ranks for lioncubCommInitFromEnv (else WORLD_SIZE, OMPI_COMM_WORLD_SIZE, "
     "SLURM_NTASKS)"},
    {"LIONCUB_ROOT", SettingType::kString, "", 0, 0, nullptr,
     "host:port where rank 0 serves the rendezvous store (else MASTER_ADDR:MASTER_PORT)"},
    {"LIONCUB_NET_PLUGIN", SettingType::kString, "", 0, 0, nullptr,
     "the net plugin of host communicators: a path, or NAME for libnccl-net-NAME.so (default: "
     "libnccl-net-lioncub.so next to liblioncub.so, else the build tree's)"},
    {"LIONCUB_RENDEZVOUS_TIMEOUT_MS", SettingType::kMillis, "300000", 0, kMaxMillis, nullptr,
     "bound on the rendezvous and connection setup of a host communicator (0 = no limit)"},
    {"LIONCUB_TIMEOUT_MS", SettingType::kMillis, "300000", 0, kMaxMillis, nullptr,
     "bound on each transfer of a host collective (0 = no limit)"},
    {"LIONCUB_CHECK_ARGS", SettingType::kFlag, "0", 0, 1, nullptr,
     "1: compare every collective's arguments across ranks, not only the first one's"},
    {"LIONCUB_LINK_RATE", SettingType::kRate, "", 0, 0, nullptr,
     "link rate of auto's model, in tc's units (\"10gbit\", \"2500mbit\"); default: the speed "
     "the net plugin reports, else 10gbit"},
    {"LIONCUB_LINK_GBPS", SettingType::kDouble, "", 1e-6, 1e9, nullptr,
     "deprecated alias of LIONCUB_LINK_RATE in Gbit/s"},
    {"LIONCUB_LINK_LATENCY_US", SettingType::kDouble, "50", 1e-9, 1e9, nullptr,
     "per-message latency of auto's model, microseconds"},
};

// LIONCUB_* variables read outside this table (not typos): the rendezvous's job scoping and
// secret, and those of the tests, benchmarks and scripts (scripts/, bench/).
const char* const kKnownElsewhere[] = {
    "LIONCUB_JOB_ID",       "LIONCUB_SECRET",         "LIONCUB_TEST_SEED",
    "LIONCUB_BENCH_ELEMENTS", "LIONCUB_CLUSTER_ADDRS", "LIONCUB_DEMO_PORT",
    "LIONCUB_FLOW_CAP",     "LIONCUB_HOST_ADDR",      "LIONCUB_BUILD_DIR",
    "LIONCUB_SOURCE_DIR",   "LIONCUB_FUZZ_DIR",       "LIONCUB_CLANGXX",
    "LIONCUB_STORE_BIND",   "LIONCUB_HOST_ID",        "LIONCUB_LOCAL_RANK",
    "LIONCUB_NCCL_LIBRARY", "LIONCUB_NCCL_TIMEOUT_S", "LIONCUB_FAULT_INJECTION"};

const SettingSpec* find_spec(const char* name) {
  for (const SettingSpec& s : kSpecs) {
    if (std::strcmp(s.name, name) == 0) return &s;
  }
  return nullptr;
}

std::string trim(const std::string& s) {
  size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

// Milliseconds: digits with an optional "ms" or "s" suffix; nullopt when malformed or negative.
std::optional<double> parse_millis(const std::string& raw) {
  std::string t = trim(raw);
  double scale = 1;
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "ms") == 0) {
    t.resize(t.size() - 2);
  } else if (t.size() > 1 && t.back() == 's') {
    t.pop_back();
    scale = 1000;
  }
  if (t.empty() || !std::isdigit(static_cast<unsigned char>(t[0]))) return std::nullopt;
  char* end = nullptr;
  errno = 0;
  const double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v * scale;
}

std::optional<double> parse_double(const std::string& raw) {
  const std::string t = trim(raw);
  if (t.empty()) return std::nullopt;
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (end == t.c_str() || *end != '\0' || !std::isfinite(v)) return std::nullopt;
  return v;
}

const SettingSpec& spec_of(const char* name) {
  const SettingSpec* s = find_spec(name);
  if (s == nullptr) {  // a programming error: every read goes through the table
    std::fprintf(stderr, "lioncub: internal: setting %s is not in the table\n", name);
    std::abort();
  }
  return *s;
}

double default_number(const SettingSpec& s) { return std::strtod(s.def, nullptr); }

}  // namespace

const std::vector<SettingSpec>& setting_specs() { return kSpecs; }

void warn_once(const std::string& msg) {
  static std::mutex mu;
  static auto* seen = new std::set<std::string>;  // never destroyed: usable at exit
  std::lock_guard<std::mutex> lock(mu);
  if (seen->insert(msg).second) std::fprintf(stderr, "lioncub: warning: %s\n", msg.c_str());
}

SettingValue setting_raw(const char* name) {
  const SettingSpec* s = find_spec(name);
  for (const char* var : {name, s ? s->nccl_env : nullptr}) {
    if (var == nullptr) continue;
    const char* v = std::getenv(var);
    if (v != nullptr && *v != '\0') return {v, var, true};
  }
  return {s ? s->def : "", "default", false};
}

double setting_seconds(const char* name) {
  const SettingSpec& s = spec_of(name);
  const SettingValue v = setting_raw(name);
  double ms = default_number(s);
  if (v.set) {
    if (const auto parsed = parse_millis(v.text)) {
      ms = *parsed;
      if (ms == 0 || ms > s.max) {
        if (ms > s.max) {
          warn_once(v.source + "=\"" + v.text + "\" is more than the maximum " +
                    std::to_string(static_cast<long long>(s.max)) + " ms; using the maximum");
        }
        ms = s.max;  // 0 = no limit
      }
    } else {
      warn_once("ignoring " + v.source + "=\"" + v.text +
                "\": want milliseconds (e.g. 30000, 500ms, 30s; 0 = no limit); using " + s.def);
    }
  }
  return ms / 1000.0;
}

bool setting_flag(const char* name) {
  const SettingSpec& s = spec_of(name);
  const SettingValue v = setting_raw(name);
  const std::string t = trim(v.text);
  if (!v.set) return std::strcmp(s.def, "1") == 0;
  if (t == "1") return true;
  if (t == "0") return false;
  warn_once("ignoring " + v.source + "=\"" + v.text + "\": want 0 or 1; using " + s.def);
  return std::strcmp(s.def, "1") == 0;
}

double setting_double(const char* name) {
  const SettingSpec& s = spec_of(name);
  const SettingValue v = setting_raw(name);
  const double def = default_number(s);
  if (!v.set) return def;
  const auto d = parse_double(v.text);
  if (d && *d >= s.min && *d <= s.max) return *d;
  warn_once("ignoring " + v.source + "=\"" + v.text + "\": want a positive number; using " +
            (*s.def ? s.def : "the default"));
  return def;
}

std::optional<int64_t> setting_int(const char* name) {
  const SettingSpec& s = spec_of(name);
  const SettingValue v = setting_raw(name);
  if (v.text.empty()) return std::nullopt;
  const std::string t = trim(v.text);
  char* end = nullptr;
  errno = 0;
  const long long x = std::strtoll(t.c_str(), &end, 10);
  if (t.empty() || end == t.c_str() || *end != '\0' || errno != 0 || x < s.min || x > s.max) {
    return std::nullopt;
  }
  return x;
}

std::string setting_string(const char* name) {
  spec_of(name);
  return setting_raw(name).text;
}

std::optional<double> setting_rate(const char* name) {
  spec_of(name);
  const SettingValue v = setting_raw(name);
  if (!v.set) return std::nullopt;
  if (const auto r = parse_rate(trim(v.text))) return r;
  warn_once("ignoring " + v.source + "=\"" + v.text +
            "\": want a rate in tc's units such as 10gbit, 2500mbit or 125mbps");
  return std::nullopt;
}

long env_ms(const char* var, long def) {
  if (find_spec(var) != nullptr) return static_cast<long>(setting_seconds(var) * 1000.0);
  const char* v = std::getenv(var);
  if (v == nullptr || *v == '\0') return def;
  const auto ms = parse_millis(v);
  if (!ms || *ms <= 0 || *ms > kMaxMillis) {
    warn_once(std::string("ignoring ") + var + "=\"" + v + "\": want milliseconds; using " +
              std::to_string(def));
    return def;
  }
  return static_cast<long>(*ms);
}

std::optional<double> parse_rate(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || !(value > 0) || !std::isfinite(value)) return std::nullopt;
  std::string unit(end);
  for (char& c : unit) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  double scale = 1;
  size_t i = 0;
  const std::string prefixes = "kmgt";
  if (i < unit.size() && prefixes.find(unit[i]) != std::string::npos) {
    const int power = static_cast<int>(prefixes.find(unit[i])) + 1;
    const bool binary = i + 1 < unit.size() && unit[i + 1] == 'i';
    for (int p = 0; p < power; ++p) scale *= binary ? 1024.0 : 1000.0;
    i += binary ? 2 : 1;
  }
  const std::string rest = unit.substr(i);
  if (rest.empty() || rest == "bit") return value * scale / 8.0;
  if (rest == "bps") return value * scale;
  return std::nullopt;
}

void warn_unknown_settings() {
  static std::once_flag once;
  std::call_once(once, [] {
    for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
      const char* kv = *e;
      if (std::strncmp(kv, "LIONCUB_", 8) != 0 || std::strncmp(kv, "LIONCUB_NET_", 12) == 0) {
        continue;
      }
      const char* eq = std::strchr(kv, '=');
      const std::string name = eq ? std::string(kv, eq) : std::string(kv);
      bool known = find_spec(name.c_str()) != nullptr;
      for (const char* k : kKnownElsewhere) known = known || name == k;
      if (!known) {
        warn_once("unknown setting " + name + " in the environment (a typo? lioncub-info lists "
                  "the settings)");
      }
    }
  });
}

std::vector<SettingReport> describe_settings() {
  std::vector<SettingReport> out;
  for (const SettingSpec& s : kSpecs) {
    const SettingValue v = setting_raw(s.name);
    out.push_back({&s, v.text, v.set ? "environment (" + v.source + ")"
                                     : (*s.def ? std::string("default") : std::string("unset"))});
  }
  return out;
}

}  // namespace lioncub
