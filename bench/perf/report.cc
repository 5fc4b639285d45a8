#include "perf/report.h"

#include <cstdio>

#include "perf/perf_math.h"

namespace lioncub::perf {
namespace {

const char* placement_note(Placements p) {
  switch (p) {
    case Placements::kBoth: return "out-of-place and in-place each measured";
    case Placements::kOutOfPlaceOnly:
      return "no in-place form (outputs must not overlap the inputs): the in-place columns repeat "
             "the out-of-place result";
    case Placements::kInPlaceOnly:
      return "in place only (the step updates the parameters where they are): the out-of-place "
             "columns repeat the in-place result";
  }
  return "";
}

// The busbw of every printed cell (two per row), as nccl-tests averages them.
double avg_busbw(const std::vector<Row>& rows, int nranks) {
  double sum = 0;
  for (const Row& r : rows)
    sum += busbw_gbs(double(r.size), r.out_of_place.seconds, nranks) +
           busbw_gbs(double(r.size), r.in_place.seconds, nranks);
  return rows.empty() ? 0.0 : sum / double(2 * rows.size());
}

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void json_measured(FILE* f, const char* key, const Measured& m, const Row& r, int nranks) {
  std::fprintf(f, "\"%s\": {\"time_us\": %.17g, \"algbw\": %.17g, \"busbw\": %.17g, \"wrong\": %lld}",
               key, m.seconds * 1e6, algbw_gbs(double(r.size), m.seconds),
               busbw_gbs(double(r.size), m.seconds, nranks), m.wrong);
}

}  // namespace

int out_of_bounds(const std::vector<Row>& rows) {
  int n = 0;
  for (const Row& r : rows)
    n += r.placements == Placements::kBoth ? r.out_of_place.failed_ranks + r.in_place.failed_ranks
                                           : r.out_of_place.failed_ranks;
  return n;
}

void print_header(const Options& o, const RunInfo& run) {
  std::printf("# lioncub-perf version %d.%d.%d (nccl-tests' output format)\n", LIONCUB_VERSION_MAJOR,
              LIONCUB_VERSION_MINOR, LIONCUB_VERSION_PATCH);
  std::printf("# Collective test starting: lioncub-perf\n");
  const bool factor = o.step_factor > 1;
  std::printf("# nThread 1 nGpus 1 minBytes %llu maxBytes %llu step: %g(%s) warmup iters: %d iters: "
              "%d agg iters: 1 validation: %d graph: 0 unalign: 0\n",
              (unsigned long long)o.min_bytes, (unsigned long long)o.max_bytes,
              factor ? o.step_factor : double(o.step_bytes), factor ? "factor" : "bytes", o.warmup,
              o.iters, o.check);
  static const char* const kAverage[] = {"rank 0's", "mean over ranks", "minimum over ranks",
                                         "maximum over ranks"};
  std::printf("# lioncub: %d ranks (one per process) %s, host backend; time = %s (-a %d); tie %s\n",
              run.nranks, run.launch.c_str(), kAverage[o.average], o.average,
              o.tie == lioncubTieZero ? "zero" : "alternate");
  std::printf("# lioncub: size = bytes of the fp32 gradient (count * 4) for every algorithm; "
              "busbw = algbw * 2(P-1)/P; #wrong -1 = not checked (-c 0)\n");
  if (run.link_bytes_per_s > 0)
    std::printf("# link rate %s = %.6g GB/s per rank (linkeff = (wire/rank / link rate) / time)\n",
                run.rate_text.c_str(), run.link_bytes_per_s / 1e9);
  else
    std::printf("# link rate unknown (set --link-rate or LIONCUB_LINK_RATE): no linkeff column\n");
  std::printf("#\n# Using devices\n");
  for (std::size_t r = 0; r < run.ranks.size(); ++r)
    std::printf("#  Rank %2zu Group  0 Pid %6ld on %10s device -1 [host] lioncub host backend\n", r,
                run.ranks[r].pid, run.ranks[r].host.c_str());
  std::fflush(stdout);
}

void print_table_header(const std::string& algorithm, Placements placements, int nranks) {
  std::printf("#\n# Algorithm: %s, %d ranks; %s\n", algorithm.c_str(), nranks, placement_note(placements));
  std::printf("#\n# %10s  %12s  %8s  %6s  %6s           out-of-place                       in-place          \n",
              "", "", "", "", "");
  std::printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s\n", "size", "count",
              "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "time", "algbw", "busbw",
              "#wrong");
  std::printf("# %10s  %12s  %8s  %6s  %6s  %7s  %6s  %6s  %6s  %7s  %6s  %6s  %6s\n", "(B)",
              "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "(us)", "(GB/s)", "(GB/s)", "");
  std::fflush(stdout);
}

void print_row(const Row& r, int nranks) {
  std::printf("%12llu  %12llu  %8s  %6s  %6d", (unsigned long long)r.size, (unsigned long long)r.count,
              r.type.c_str(), r.redop.c_str(), r.root);
  for (const Measured* m : {&r.out_of_place, &r.in_place}) {
    std::printf("  %7s  %6s  %6s  %6lld", column_number(m->seconds * 1e6, 7).c_str(),
                column_number(algbw_gbs(double(r.size), m->seconds), 6).c_str(),
                column_number(busbw_gbs(double(r.size), m->seconds, nranks), 6).c_str(), m->wrong);
  }
  std::printf("\n");
  std::fflush(stdout);
}

void print_footer(const std::vector<Row>& rows, int nranks) {
  const int bad = out_of_bounds(rows);
  std::printf("# %-20s : %d %s\n", "Out of bounds values", bad, bad ? "FAILED" : "OK");
  std::printf("# %-20s : %g \n", "Avg bus bandwidth", avg_busbw(rows, nranks));
  std::printf("#\n");
  std::fflush(stdout);
}

void print_extras(const std::vector<Row>& rows, const RunInfo& run) {
  const bool link = run.link_bytes_per_s > 0;
  std::printf("# lioncub columns (not nccl-tests'): wire/rank = bytes the busiest rank sent per call%s; "
              "algorithm = what ran\n",
              link ? "; linkeff = (wire/rank / link rate) / out-of-place time" : "");
  std::printf("# %10s  %12s  %7s  %s\n", "size", "wire/rank", link ? "linkeff" : "", "algorithm");
  std::printf("# %10s  %12s\n", "(B)", "(B)");
  for (const Row& r : rows) {
    char eff[32] = "";
    if (link)
      std::snprintf(eff, sizeof eff, "%.3f",
                    link_efficiency(double(r.wire_bytes), run.link_bytes_per_s, r.out_of_place.seconds));
    std::printf("# %10llu  %12llu  %7s  %s\n", (unsigned long long)r.size,
                (unsigned long long)r.wire_bytes, eff, r.algorithm.c_str());
  }
  std::fflush(stdout);
}

void print_conclusion() {
  std::printf("#\n# Collective test concluded: lioncub-perf\n#\n");
  std::fflush(stdout);
}

bool write_json(const std::string& path, const Options& o, const RunInfo& run, const std::vector<Row>& rows) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) {
    std::fprintf(stderr, "lioncub-perf: cannot write %s\n", path.c_str());
    return false;
  }
  std::fprintf(f, "{\n  \"tool\": \"lioncub-perf\",\n  \"nranks\": %d,\n", run.nranks);
  std::fprintf(f, "  \"link_rate\": \"%s\",\n  \"link_bytes_per_s\": %.17g,\n",
               json_escape(run.rate_text).c_str(), run.link_bytes_per_s);
  std::fprintf(f, "  \"iters\": %d,\n  \"warmup\": %d,\n  \"check\": %d,\n  \"average\": %d,\n  \"rows\": [\n",
               o.iters, o.warmup, o.check, o.average);
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const Row& r = rows[i];
    static const char* const kPlacements[] = {"both", "out_of_place_only", "in_place_only"};
    std::fprintf(f,
                 "    {\"algorithm\": \"%s\", \"size\": %llu, \"count\": %llu, \"type\": \"%s\", "
                 "\"redop\": \"%s\", \"root\": %d, \"placements\": \"%s\", ",
                 json_escape(r.algorithm).c_str(), (unsigned long long)r.size,
                 (unsigned long long)r.count, r.type.c_str(), r.redop.c_str(), r.root,
                 kPlacements[static_cast<int>(r.placements)]);
    json_measured(f, "out_of_place", r.out_of_place, r, run.nranks);
    std::fprintf(f, ", ");
    json_measured(f, "in_place", r.in_place, r, run.nranks);
    std::fprintf(f, ", \"wire_bytes\": %llu, \"link_eff\": %.17g}%s\n", (unsigned long long)r.wire_bytes,
                 link_efficiency(double(r.wire_bytes), run.link_bytes_per_s, r.out_of_place.seconds),
                 i + 1 < rows.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  std::fclose(f);
  return true;
}

}  // namespace lioncub::perf
