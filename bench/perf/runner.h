// lioncub-perf's measurements: one row of a table per (algorithm, size), out of place and in
// place, every rank's time and #wrong combined through support/agree.h.
#pragma once

#include <cstdint>
#include <string>

#include "lioncub/lioncub.h"
#include "perf/options.h"

namespace lioncub::perf {

// One placement's result, combined over ranks as nccl-tests does.
struct Measured {
  double seconds = 0;     // per call, over ranks per -a
  long long wrong = -1;   // elements wrong, summed over ranks; -1: not checked (-c 0)
  int failed_ranks = 0;   // ranks that saw a wrong element (nccl-tests' "Out of bounds values")
};

// Which placements an algorithm has: both (full, mean), only out of place (the sign
// aggregations: their outputs must not overlap the inputs), only in place (the optimizer step
// updates the parameters where they are). A missing one repeats the other in the table.
enum class Placements { kBoth, kOutOfPlaceOnly, kInPlaceOnly };

struct Row {
  std::string algorithm;  // "lion-step/<what auto chose>" for the step
  std::uint64_t size = 0, count = 0;
  std::string type, redop;
  int root = -1;  // no root: every rank gets the result (nccl-tests prints -1 for allreduce)
  Placements placements = Placements::kBoth;
  Measured out_of_place, in_place;
  std::uint64_t wire_bytes = 0;  // bytes the busiest rank sent per call
};

Placements placements_of(const std::string& algorithm);

class Runner {
 public:
  Runner(lioncubComm_t comm, const Options& o);
  int rank() const { return rank_; }
  int nranks() const { return nranks_; }
  Row run(const std::string& algorithm, std::uint64_t size);

 private:
  Row run_collective(const std::string& name, std::uint64_t size);
  Row run_step(std::uint64_t size);
  // Combines this rank's mean time, wrong count and wire bytes with every other rank's.
  Measured combine(double seconds, long long wrong, std::uint64_t wire, std::uint64_t* max_wire);
  void barrier();

  lioncubComm_t comm_;
  const Options& o_;
  int rank_ = 0, nranks_ = 1;
};

}  // namespace lioncub::perf
