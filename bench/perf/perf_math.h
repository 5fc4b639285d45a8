// lioncub-perf's arithmetic, kept apart from the benchmark so tests can check it against
// hand-computed values: nccl-tests' algbw / busbw, link rates in tc's units, link efficiency.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "common/settings.h"

namespace lioncub::perf {

// What a row of the table measures. `size` is always the bytes of the fp32 gradient the call
// stands for (count * 4), for every algorithm, so rows with the same size reduce the same number
// of elements and can be compared across algorithms.
//
// nccl-tests: algbw = size / time; busbw = algbw * factor, where the factor makes busbw the
// bandwidth each rank's link needed for a bandwidth-optimal schedule of that collective. Every
// lioncub collective here replaces a gradient allreduce, so the factor is nccl-tests'
// allreduce factor 2 (P - 1) / P for all of them: for `full` busbw is exactly nccl-tests'
// allreduce busbw; for the compressed algorithms it is the fp32 bus bandwidth a plain allreduce
// would have needed to finish in the same time ("effective busbw"), and it exceeds the link rate
// when compression pays. The physical picture is in the wire bytes and the link efficiency.
inline double busbw_factor(int nranks) {
  return nranks <= 1 ? 0.0 : 2.0 * (nranks - 1) / nranks;
}

// GB/s (1e9 bytes per second) as nccl-tests prints it.
inline double algbw_gbs(double size_bytes, double seconds) {
  return seconds > 0 ? size_bytes / seconds / 1e9 : 0.0;
}
inline double busbw_gbs(double size_bytes, double seconds, int nranks) {
  return algbw_gbs(size_bytes, seconds) * busbw_factor(nranks);
}

// The time a row reports, from every rank's mean time per call, as nccl-tests' -a/--average
// chooses it: 0 rank 0's, 1 the mean over ranks (nccl-tests' default), 2 the minimum, 3 the
// maximum.
inline double combine_times(const std::vector<double>& per_rank, int average) {
  if (per_rank.empty()) return 0.0;
  switch (average) {
    case 0: return per_rank[0];
    case 2: return *std::min_element(per_rank.begin(), per_rank.end());
    case 3: return *std::max_element(per_rank.begin(), per_rank.end());
    default: {
      double sum = 0;
      for (double t : per_rank) sum += t;
      return sum / double(per_rank.size());
    }
  }
}

// A number in a column `width` characters wide as nccl-tests fills its time and bandwidth
// columns: two decimals if they fit, then one, then none, then an exponent; never wider than
// the column, so a row always splits into the same number of fields.
inline std::string column_number(double value, int width) {
  char buf[64];
  for (const char* fmt : {"%*.2f", "%*.1f", "%*.0f"}) {
    if (std::snprintf(buf, sizeof buf, fmt, width, value) <= width) return buf;
  }
  std::snprintf(buf, sizeof buf, width >= 7 ? "%*.1e" : "%*.0e", width, value);
  return buf;
}

// Link efficiency: the time the wire bytes need at the link rate (the floor), over the time the
// call took; 1.0 = the rank's link ran at line rate the whole call. Its reciprocal, time /
// (wire bytes / link rate), is how many floors the call took. NaN-free: 0 when
// unknown.
inline double link_efficiency(double wire_bytes, double link_bytes_per_s, double seconds) {
  if (link_bytes_per_s <= 0 || seconds <= 0) return 0.0;
  return (wire_bytes / link_bytes_per_s) / seconds;
}

// A rate in tc's units, in bytes per second: "1gbit", "100mbit", "2500kbit", "10gbit", "800bit"
// (bits/s; a bare number is bits/s too), "125mbps" (tc's bps = bytes/s), k/m/g/t decimal and
// ki/mi/gi binary prefixes. nullopt when it does not parse or is not positive.
using ::lioncub::parse_rate;  // tc units ("1gbit", "2500mbit"): the library's settings parser

// Sizes as nccl-tests' -b / -e take them: "1024", "4K", "16M", "1G" (binary multiples).
inline std::optional<std::uint64_t> parse_size(const std::string& text) {
  if (text.empty()) return std::nullopt;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text.c_str(), &end, 10);
  if (end == text.c_str()) return std::nullopt;
  const std::string unit(end);
  std::uint64_t scale = 1;
  if (unit == "K" || unit == "k") scale = 1ull << 10;
  else if (unit == "M" || unit == "m") scale = 1ull << 20;
  else if (unit == "G" || unit == "g") scale = 1ull << 30;
  else if (!unit.empty()) return std::nullopt;
  return static_cast<std::uint64_t>(value) * scale;
}

}  // namespace lioncub::perf
