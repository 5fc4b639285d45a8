// lioncub-perf's output, printed by rank 0: nccl-tests' header, one table and one footer per
// algorithm (13 fields per data row, every cell a number or a word, never "N/A"), lioncub's own
// columns (wire bytes, link efficiency) in a separate "#" section after each table, and the JSON
// report. Anything a parser of nccl-tests' output should skip starts with '#'.
#pragma once

#include <string>
#include <vector>

#include "perf/options.h"
#include "perf/runner.h"

namespace lioncub::perf {

// One rank as nccl-tests' "# Using devices" lines list it.
struct RankInfo {
  long pid = 0;
  std::string host;
};

struct RunInfo {
  int nranks = 1;
  std::string launch;     // "forked on loopback", "started by torchrun", ...
  std::string rate_text;  // link rate as given ("" = unknown)
  double link_bytes_per_s = 0;
  std::vector<RankInfo> ranks;
};

void print_header(const Options& o, const RunInfo& run);
void print_table_header(const std::string& algorithm, Placements placements, int nranks);
void print_row(const Row& r, int nranks);
// nccl-tests' "Out of bounds values": the (rank, placement) results of a table with a wrong
// element; a repeated placement counts once.
int out_of_bounds(const std::vector<Row>& rows);
// The two footer lines nccl-tests' users read.
void print_footer(const std::vector<Row>& rows, int nranks);
void print_extras(const std::vector<Row>& rows, const RunInfo& run);
void print_conclusion();
bool write_json(const std::string& path, const Options& o, const RunInfo& run, const std::vector<Row>& rows);

}  // namespace lioncub::perf
