// lioncub-perf: nccl-tests' bandwidth tables for lioncub's collectives and optimizer step.
//
//   lioncub-perf [-b 4K] [-e 64M] [-f 2 | -i BYTES] [-n 20] [-w 5] [-c 1] [-a 1] [-d float]
//                [-o sum|avg] [-T SECONDS] [-J FILE] [-A ALGO[,ALGO...]|all] [--np N]
//                [--tie zero|alternate] [--link-rate 1gbit] [--cluster-rate RATE [--flow-cap CAP]]
//
// Options (options.cc), measurements (runner.cc) and output (report.cc) live apart; ranks start
// as every lioncub tool starts them (bench/support/launch.h). Rank 0 prints nccl-tests' header,
// then per algorithm one table of 13-field rows and one footer, then lioncub's own columns as a
// '#' section. docs/perf.md describes the table and the measurements.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "perf/options.h"
#include "perf/perf_math.h"
#include "perf/report.h"
#include "perf/runner.h"
#include "support/agree.h"
#include "support/launch.h"
#include "support/launcher_env.h"

namespace {

using namespace lioncub::perf;

// Every rank's pid and host name, for the "# Using devices" lines.
std::vector<RankInfo> gather_ranks(lioncubComm_t comm) {
  constexpr std::size_t kHostWords = 4;  // host names cut at 32 characters
  char host[256] = {};
  ::gethostname(host, sizeof host - 1);
  std::vector<std::uint64_t> mine = lioncub::bench::string_words(host, kHostWords);
  mine.push_back(std::uint64_t(::getpid()));
  std::vector<std::vector<std::uint64_t>> all;
  if (lioncub::bench::allgather_words(comm, mine, &all) != lioncubSuccess) return {};
  std::vector<RankInfo> out;
  for (const auto& w : all) out.push_back({long(w[kHostWords]), lioncub::bench::words_string(w, 0, kHostWords)});
  return out;
}

int run_rank(lioncubComm_t comm, const Options& o) {
  Runner runner(comm, o);
  const bool leader = runner.rank() == 0;
  RunInfo run;
  run.nranks = runner.nranks();
  run.launch = lioncub::bench::launch_description();
  run.rate_text = o.link_rate;
  if (run.rate_text.empty() && std::getenv("LIONCUB_LINK_RATE")) run.rate_text = std::getenv("LIONCUB_LINK_RATE");
  if (!run.rate_text.empty()) {
    const auto rate = parse_rate(run.rate_text);
    if (!rate) {
      std::fprintf(stderr, "lioncub-perf: bad link rate '%s' (tc units: 1gbit, 100mbit, 125mbps)\n",
                   run.rate_text.c_str());
      return 2;
    }
    run.link_bytes_per_s = *rate;
  }
  run.ranks = gather_ranks(comm);
  if (leader) print_header(o, run);
  std::vector<Row> all_rows;
  int bad = 0;
  for (const std::string& algo : o.algos) {
    if (leader) print_table_header(algo, placements_of(algo), run.nranks);
    std::vector<Row> rows;
    for (std::uint64_t size : table_sizes(o)) {
      rows.push_back(runner.run(algo, size));
      if (leader) print_row(rows.back(), run.nranks);
    }
    bad += out_of_bounds(rows);
    if (leader) {
      print_footer(rows, run.nranks);
      print_extras(rows, run);
    }
    all_rows.insert(all_rows.end(), rows.begin(), rows.end());
  }
  if (leader) print_conclusion();
  if (leader && !o.output_file.empty() && !write_json(o.output_file, o, run, all_rows)) return 1;
  return bad ? 1 : 0;  // like nccl-tests: a wrong result fails the run
}

// --cluster-rate: re-runs this command as the ranks of scripts/cluster.sh (one emulated host
// each, NICs shaped to RATE, optionally capped per flow), which joins them through the
// environment; the table is rank 0's.
int run_on_cluster(const Options& o) {
  const std::string script = std::string(LIONCUB_SOURCE_DIR) + "/scripts/cluster.sh";
  std::vector<std::string> args{"bash", script, "run", "--hosts", std::to_string(o.np ? o.np : 2),
                                "--rate", o.cluster_rate, "--prefix", "lcperf" + std::to_string(::getpid() % 100000),
                                "--port", std::to_string(lioncub::bench::free_loopback_port())};
  if (!o.flow_cap.empty()) {
    args.push_back("--flow-cap");
    args.push_back(o.flow_cap);
  }
  args.push_back("--");
  char self[4096];
  const ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    std::perror("lioncub-perf: readlink /proc/self/exe");
    return 1;
  }
  self[n] = '\0';
  args.push_back(self);
  args.insert(args.end(), o.rank_args.begin(), o.rank_args.end());
  if (o.link_rate.empty()) {
    args.push_back("--link-rate");
    args.push_back(o.cluster_rate);
  }
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::fflush(stdout);
  ::execvp("bash", cargs.data());
  std::perror("lioncub-perf: exec scripts/cluster.sh");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse_options(argc, argv);
  // -T: nccl-tests' per-collective timeout, as the host backend's transfer deadline.
  if (o.timeout_s > 0) ::setenv("LIONCUB_TIMEOUT_MS", std::to_string(o.timeout_s * 1000).c_str(), 1);
  if (!o.cluster_rate.empty() && lioncub::bench::detect_launcher() == nullptr) return run_on_cluster(o);
  return lioncub::bench::run_ranks(o.np, 2, [&](lioncubComm_t comm) { return run_rank(comm, o); });
}
