// lioncub-perf's command line: nccl-tests' options (same letters, same long names, same
// meaning) plus lioncub's own. See docs/perf.md, "lioncub-perf".
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::perf {

// What `-A all` runs, in this order. "lion-step": one lioncubLionStep over `count` fp32
// parameters with the default configuration (encode, exchange and apply, overlapped).
extern const char* const kAllAlgos[7];

struct Options {
  // nccl-tests' options.
  std::uint64_t min_bytes = 4096, max_bytes = 64ull << 20;  // -b, -e
  double step_factor = 2;       // -f (> 1: multiply); 1: add step_bytes
  std::uint64_t step_bytes = 0; // -i
  int iters = 20, warmup = 5;   // -n, -w
  int check = 1;                // -c: check iterations per size (0: none)
  int average = 1;              // -a: 0 rank 0, 1 mean over ranks, 2 min, 3 max
  std::string op;               // -o: sum or avg for the float algorithms ("" = the algorithm's own)
  int timeout_s = 0;            // -T: seconds per collective (LIONCUB_TIMEOUT_MS); 0 = default
  std::string output_file;      // -J / --json: the JSON report
  // lioncub's.
  std::vector<std::string> algos;  // -A / --algo
  int np = 0;                      // --np: fork this many ranks (0: a launcher's, or 2)
  lioncubTiePolicy_t tie = lioncubTieZero;
  std::string link_rate;     // tc units; default LIONCUB_LINK_RATE
  std::string cluster_rate;  // --cluster-rate: run the --np ranks on an emulated cluster
  std::string flow_cap;      // --flow-cap: per-flow cap on that cluster
  bool plant_wrong = false;  // hidden, for tests: rank 0 corrupts one out-of-place result
  std::vector<std::string> rank_args;  // what each rank of a --cluster-rate run is given
};

// Parses argv; prints a clear message and exits 2 on a bad option (0 after --help).
Options parse_options(int argc, char** argv);

// The sizes a table runs, -b to -e by -f or -i, each rounded down to whole fp32 elements.
std::vector<std::uint64_t> table_sizes(const Options& o);

}  // namespace lioncub::perf
