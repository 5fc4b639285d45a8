// lioncub's library settings: one table (settings.cc) of the environment variables the library
// reads, each with its type, default, range, NCCL fallback (where NCCL has the same knob) and a
// one-line meaning. Values are parsed here and nowhere else; a malformed or out-of-range value
// is reported once on stderr ("lioncub: warning: ...", naming the variable) and replaced by the
// default or clamped to the range, never silently ignored. The net plugin's own LIONCUB_NET_*
// settings live in its own table (plugin/params.cc); lioncub-info prints both sources' names.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace lioncub {

enum class SettingType {
  kMillis,  // milliseconds: an integer, optionally with "ms" or "s"; 0 = no limit
  kFlag,    // 0 or 1
  kDouble,  // a positive number
  kRate,    // a link rate in tc's units ("1gbit", "2500mbit", "125mbps")
  kString,  // free text
  kInt,     // an integer in [min, max]
};

struct SettingSpec {
  const char* name;      // LIONCUB_...
  SettingType type;
  const char* def;       // the default as text ("" = none: computed, see doc)
  double min;            // range of numeric settings (kMillis, kInt, kDouble)
  double max;
  const char* nccl_env;  // NCCL's variable for the same knob, read when ours is unset; or null
  const char* doc;
};

// Every setting of the library, in a stable order (lioncub-info, docs/collectives.md).
const std::vector<SettingSpec>& setting_specs();

// The raw text of a setting and where it came from: the variable's name, its NCCL fallback's,
// or "default".
struct SettingValue {
  std::string text;
  std::string source;
  bool set = false;  // from the environment
};
SettingValue setting_raw(const char* name);

// Typed reads. Each throws nothing: bad values warn once and fall back as described above.
// Milliseconds as seconds; 0 (no limit) and values past the maximum become the maximum, so a
// caller never casts an out-of-range value.
double setting_seconds(const char* name);
bool setting_flag(const char* name);
double setting_double(const char* name);
std::optional<int64_t> setting_int(const char* name);  // nullopt when unset and no default
std::string setting_string(const char* name);
// Bytes per second of a kRate setting; nullopt when unset (or malformed: warned).
std::optional<double> setting_rate(const char* name);

// Compatibility for callers that predate the table: milliseconds of `var` (setting_seconds when
// `var` is in the table, else a positive integer or `def`).
long env_ms(const char* var, long def);

// A rate in tc's units, in bytes per second: "1gbit", "100mbit", "2500kbit", "800bit" (bits/s;
// a bare number is bits/s too), "125mbps" (bytes/s), k/m/g/t decimal and ki/mi/gi binary
// prefixes. nullopt when it does not parse or is not positive.
std::optional<double> parse_rate(const std::string& text);

// Warns (once per process) about LIONCUB_* variables in the environment that no table knows:
// usually a typo. LIONCUB_NET_* belongs to the net plugin and is not checked here.
void warn_unknown_settings();

// Prints "lioncub: warning: <msg>" on stderr once per distinct message.
void warn_once(const std::string& msg);

// One line per setting: name, value, source ("default", the variable, or "unset").
struct SettingReport {
  const SettingSpec* spec;
  std::string value;
  std::string source;
};
std::vector<SettingReport> describe_settings();

}  // namespace lioncub
