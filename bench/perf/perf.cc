// lioncub-perf: nccl-tests-style bandwidth tables for lioncub's collectives.
//
//   lioncub-perf [-b 4K] [-e 64M] [-f 2] [-n 20] [-w 5] [-c 1] [-d float] [-a ALGOS]
//                [--np N] [--tie zero|alternate] [--link-rate 1gbit] [--json FILE]
//                [--cluster-rate RATE [--flow-cap CAP]]
//
// Ranks: `--np N` forks N ranks on loopback; without it, when LIONCUB_RANK (or torchrun's RANK,
// or Open MPI's OMPI_COMM_WORLD_RANK) is set, this process is one rank of a job started by a
// launcher (scripts/cluster.sh, mpirun, torchrun), joined with lioncubCommInitFromEnv; otherwise
// --np 2. Rank 0 prints the table, one block per algorithm, in nccl-tests' layout (size, count,
// type, redop, root, time, algbw, busbw, #wrong) followed by lioncub's columns (algorithm, wire
// bytes per rank, link efficiency). See bench/perf/perf_math.h for the definitions and
// docs/perf.md for measurements.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "support/local_ranks.h"
#include "lioncub/lioncub.h"
#include "perf_math.h"

namespace {

using lioncub::perf::algbw_gbs;
using lioncub::perf::busbw_gbs;
using lioncub::perf::link_efficiency;

struct Options {
  std::uint64_t begin = 4096, end = 64ull << 20;
  double factor = 2;
  int iters = 20, warmup = 5, check = 1;
  std::string dtype = "float";
  std::vector<std::string> algos;
  int np = 0;
  lioncubTiePolicy_t tie = lioncubTieZero;
  std::string link_rate;  // tc units; default LIONCUB_LINK_RATE
  std::string json;
  bool plant_wrong = false;  // hidden, for tests: corrupts one result element before the check
  std::string cluster_rate;  // --cluster-rate: run the --np ranks on an emulated cluster
  std::string flow_cap;      // --flow-cap: per-flow cap on that cluster
  std::vector<std::string> rank_args;  // the options every rank needs (all but the cluster's)
};

// "lion-step": one lioncubLionStep (issue 5) over `count` fp32 parameters with the default
// configuration (algorithm auto, 1 MiB buckets): encode, exchange and apply, overlapped.
const char* const kAllAlgos[] = {"full",          "mean",      "allgather-vote",
                                 "alltoall-vote", "quant2-rs", "packed-sum", "lion-step"};

struct Row {
  std::uint64_t size = 0, count = 0;
  std::string type, redop, algorithm;
  double seconds = 0;
  long long wrong = -1;  // -1: not checked
  std::uint64_t wire_bytes = 0;
  double link_eff = 0;
};

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

[[noreturn]] void usage(int rc) {
  std::fprintf(rc ? stderr : stdout,
               "usage: lioncub-perf [-b MINBYTES] [-e MAXBYTES] [-f FACTOR] [-n ITERS] [-w WARMUP]\n"
               "                    [-c 0|1] [-d float] [-a ALGO[,ALGO...]|all] [--np N]\n"
               "                    [--tie zero|alternate] [--link-rate RATE] [--json FILE]\n"
               "                    [--cluster-rate RATE [--flow-cap CAP]]  (--np ranks on emulated hosts)\n"
               "sizes are bytes of the fp32 gradient (count = size / 4); algorithms:");
  for (const char* a : kAllAlgos) std::fprintf(rc ? stderr : stdout, " %s", a);
  std::fprintf(rc ? stderr : stdout, "\n");
  std::exit(rc);
}

Options parse(int argc, char** argv) {
  Options o;
  auto need = [&](int& i) -> std::string {
    if (i + 1 >= argc) usage(2);
    return argv[++i];
  };
  auto size = [&](const std::string& s) {
    auto v = lioncub::perf::parse_size(s);
    if (!v) {
      std::fprintf(stderr, "lioncub-perf: bad size '%s'\n", s.c_str());
      std::exit(2);
    }
    return *v;
  };
  std::string algos = "all";
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const int first = i;
    if (a == "--cluster-rate") {
      o.cluster_rate = need(i);
      continue;
    }
    if (a == "--flow-cap") {
      o.flow_cap = need(i);
      continue;
    }
    if (a == "--np") {  // not a rank's option: ranks on a cluster join from the environment
      o.np = std::atoi(need(i).c_str());
      continue;
    }
    if (a == "-b") o.begin = size(need(i));
    else if (a == "-e") o.end = size(need(i));
    else if (a == "-f") o.factor = std::atof(need(i).c_str());
    else if (a == "-n") o.iters = std::atoi(need(i).c_str());
    else if (a == "-w") o.warmup = std::atoi(need(i).c_str());
    else if (a == "-c") o.check = std::atoi(need(i).c_str());
    else if (a == "-d") o.dtype = need(i);
    else if (a == "-a" || a == "--algos") algos = need(i);
    else if (a == "--link-rate") o.link_rate = need(i);
    else if (a == "--json") o.json = need(i);
    else if (a == "--plant-wrong-for-test") o.plant_wrong = true;
    else if (a == "--tie") {
      const std::string t = need(i);
      if (t == "zero") o.tie = lioncubTieZero;
      else if (t == "alternate") o.tie = lioncubTieAlternate;
      else usage(2);
    } else if (a == "-h" || a == "--help") usage(0);
    else {
      std::fprintf(stderr, "lioncub-perf: unknown option %s\n", a.c_str());
      usage(2);
    }
    for (int k = first; k <= i; ++k) o.rank_args.push_back(argv[k]);  // what every rank needs
  }
  if (o.factor <= 1 || o.iters < 1 || o.warmup < 0 || o.begin > o.end || o.np < 0) usage(2);
  if (o.dtype != "float" && o.dtype != "float32" && o.dtype != "f32") {
    std::fprintf(stderr,
                 "lioncub-perf: -d %s: the host backend's float collectives take float only (bf16 "
                 "on the wire is not implemented yet)\n",
                 o.dtype.c_str());
    std::exit(2);
  }
  if (algos == "all") {
    for (const char* a : kAllAlgos) o.algos.push_back(a);
  } else {
    std::size_t pos = 0;
    while (pos <= algos.size()) {
      const std::size_t comma = std::min(algos.find(',', pos), algos.size());
      const std::string name = algos.substr(pos, comma - pos);
      lioncubAlgorithm_t algo;
      if (name != "lion-step" && (lioncubAlgorithmFromName(name.c_str(), &algo) != lioncubSuccess ||
                                  algo == lioncubAlgoAuto)) {
        std::fprintf(stderr, "lioncub-perf: unknown algorithm '%s'\n", name.c_str());
        std::exit(2);
      }
      o.algos.push_back(name);
      pos = comma + 1;
    }
  }
  return o;
}

// Fails the rank with the library's message.
void ok(lioncubResult_t rc, const char* what) {
  if (rc == lioncubSuccess) return;
  std::fprintf(stderr, "lioncub-perf: %s: %s: %s\n", what, lioncubGetErrorString(rc),
               lioncubGetLastErrorMessage());
  std::exit(1);
}

// The per-element reference of the aggregate: +1, -1 or 0 (ties per policy).
int resolve(long long total, lioncubTiePolicy_t tie, std::uint64_t step) {
  if (total > 0) return 1;
  if (total < 0) return -1;
  return tie == lioncubTieZero ? 0 : (step % 2 == 0 ? 1 : -1);
}

class Bench {
 public:
  Bench(lioncubComm_t comm, const Options& o) : comm_(comm), o_(o) {
    ok(lioncubCommRank(comm, &rank_), "rank");
    ok(lioncubCommSize(comm, &nranks_), "size");
  }
  int rank() const { return rank_; }
  int nranks() const { return nranks_; }

  // Max over ranks of each value (a sum-allreduce of a vector with one slot per rank).
  std::vector<double> max_over_ranks(const std::vector<double>& mine) {
    const std::size_t k = mine.size();
    std::vector<float> all(k * nranks_, 0.0f);
    for (std::size_t i = 0; i < k; ++i) all[rank_ * k + i] = static_cast<float>(mine[i]);
    ok(lioncubAllreduce(comm_, lioncubAlgoFull, all.data(), all.data(), all.size(),
                        lioncubFloat32, lioncubSum, nullptr, nullptr),
       "gather");
    std::vector<double> out(k, -1e300);
    for (int r = 0; r < nranks_; ++r)
      for (std::size_t i = 0; i < k; ++i) out[i] = std::max(out[i], double(all[r * k + i]));
    return out;
  }

  Row run(const std::string& name, std::uint64_t size) {
    if (name == "lion-step") return run_step(size);
    lioncubAlgorithm_t algo;
    ok(lioncubAlgorithmFromName(name.c_str(), &algo), "algorithm");
    Row row;
    row.algorithm = name;
    row.size = size;
    row.count = size / 4;
    const std::size_t n = row.count, words = lioncubPackedWords(n);
    const bool is_float = algo == lioncubAlgoFull || algo == lioncubAlgoMean;
    const bool ternary = algo == lioncubAlgoQuant2Rs;
    row.type = is_float ? "float" : ternary ? "tern2" : "sign1";
    row.redop = algo == lioncubAlgoFull ? "sum" : algo == lioncubAlgoMean ? "avg"
                : ternary ? "tsum" : "vote";
    const std::uint64_t step = 0;

    std::vector<float> fin, fout;
    std::vector<std::uint32_t> sign, nonzero, sout, nzout;
    if (is_float) {
      fin.resize(n);
      fout.resize(n);
      for (std::size_t j = 0; j < n; ++j) fin[j] = float_input(rank_, j);
    } else {
      sign = plane(rank_, 0, n);
      if (ternary) nonzero = plane(rank_, 1, n);
      sout.assign(words, 0);
      nzout.assign(words, 0);
    }
    lioncubCollStats_t st{};
    auto call = [&] {
      if (is_float) {
        ok(lioncubAllreduce(comm_, algo, fin.data(), fout.data(), n, lioncubFloat32,
                            algo == lioncubAlgoMean ? lioncubAvg : lioncubSum, &st, nullptr),
           name.c_str());
      } else {
        ok(lioncubSignAggregate(comm_, algo, ternary ? lioncubCodeTernary : lioncubCodeSign,
                                sign.data(), ternary ? nonzero.data() : nullptr, n, o_.tie, step,
                                sout.data(), nzout.data(), &st, nullptr),
           name.c_str());
      }
    };
    for (int i = 0; i < o_.warmup; ++i) call();
    max_over_ranks({0.0});  // barrier
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < o_.iters; ++i) call();
    const double mine =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / o_.iters;
    row.wire_bytes = st.bytesSent;

    long long wrong = 0;
    if (o_.check) {
      call();
      if (o_.plant_wrong && rank_ == 0 && n > 0) {
        if (is_float) fout[n / 2] += 1.0f;
        else {
          sout[0] ^= 1u;
          nzout[0] |= 1u;
        }
      }
      wrong = is_float ? check_float(fout, algo == lioncubAlgoMean)
                       : check_planes(sout, nzout, n, ternary, step);
    }
    const auto maxes = max_over_ranks({mine, double(st.bytesSent)});
    row.seconds = maxes[0];
    row.wire_bytes = static_cast<std::uint64_t>(std::llround(maxes[1]));
    if (o_.check) row.wrong = sum_over_ranks(wrong);
    return row;
  }

 private:
  // One optimizer step per iteration. Check: every rank must end with the same parameters
  // (#wrong = ranks whose parameter bytes differ from rank 0's, by a 64-bit hash).
  Row run_step(std::uint64_t size) {
    Row row;
    row.algorithm = "lion-step";
    row.size = size;
    row.count = size / 4;
    row.type = "float";
    row.redop = "lion";
    const std::size_t n = row.count;
    std::vector<float> params(n), grads(n), momentum(n, 0.0f);
    for (std::size_t j = 0; j < n; ++j) {
      params[j] = 0.01f * float_input(0, j);
      grads[j] = float_input(rank_, j + 5);
    }
    lioncubLionConfig_t cfg;
    ok(lioncubLionConfigDefault(&cfg), "lioncubLionConfigDefault");
    cfg.lr = 1e-4f;
    cfg.tie = o_.tie;
    lioncubLion_t opt = nullptr;
    ok(lioncubLionCreate(&opt, comm_, n, lioncubFloat32, &cfg), "lioncubLionCreate");
    for (int i = 0; i < o_.warmup; ++i)
      ok(lioncubLionStep(opt, params.data(), grads.data(), momentum.data(), nullptr), "lion-step");
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < o_.iters; ++i)
      ok(lioncubLionStep(opt, params.data(), grads.data(), momentum.data(), nullptr), "lion-step");
    const double mine =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / o_.iters;
    lioncubLionStats_t st{};
    ok(lioncubLionGetStats(opt, &st), "lioncubLionGetStats");
    row.algorithm = std::string("lion-step/") + lioncubAlgorithmName(st.algorithm);
    ok(lioncubLionDestroy(opt), "lioncubLionDestroy");  // the communicator is ours again
    if (o_.plant_wrong && rank_ == 0 && n > 0) params[n / 2] += 1.0f;
    std::uint64_t h = 1469598103934665603ull;  // FNV-1a over the parameter bytes
    const auto* bytes = reinterpret_cast<const unsigned char*>(params.data());
    for (std::size_t i = 0; i < n * sizeof(float); ++i) h = (h ^ bytes[i]) * 1099511628211ull;
    // Hash in 16-bit pieces (exact in fp32) gathered from every rank.
    std::vector<float> all(std::size_t(nranks_) * 4, 0.0f);
    for (int k = 0; k < 4; ++k) all[std::size_t(rank_) * 4 + k] = float((h >> (16 * k)) & 0xffff);
    ok(lioncubAllreduce(comm_, lioncubAlgoFull, all.data(), all.data(), all.size(), lioncubFloat32,
                        lioncubSum, nullptr, nullptr),
       "gather");
    long long wrong = 0;
    for (int r = 1; r < nranks_; ++r)
      for (int k = 0; k < 4; ++k)
        if (all[std::size_t(r) * 4 + k] != all[std::size_t(k)]) {
          ++wrong;
          break;
        }
    const auto maxes = max_over_ranks({mine, double(st.bytesSent)});
    row.seconds = maxes[0];
    row.wire_bytes = static_cast<std::uint64_t>(std::llround(maxes[1]));
    if (o_.check) row.wrong = wrong;
    return row;
  }

  static float float_input(int rank, std::size_t j) {
    return static_cast<float>(static_cast<int>((j * 3 + static_cast<std::size_t>(rank) * 7) % 17) - 8);
  }
  // Plane `which` (0 sign, 1 nonzero) of rank r's seeded code of n elements, pad bits 0.
  static std::vector<std::uint32_t> plane(int r, int which, std::size_t n) {
    std::vector<std::uint32_t> p(lioncubPackedWords(n));
    for (std::size_t w = 0; w < p.size(); ++w)
      p[w] = static_cast<std::uint32_t>(
          splitmix64((std::uint64_t(r) << 40) ^ (std::uint64_t(which) << 39) ^ w));
    if (n % 32) p.back() &= (1u << (n % 32)) - 1;
    return p;
  }

  long long sum_over_ranks(long long mine) {
    std::vector<float> v(nranks_, 0.0f);
    v[rank_] = static_cast<float>(mine);
    ok(lioncubAllreduce(comm_, lioncubAlgoFull, v.data(), v.data(), v.size(), lioncubFloat32,
                        lioncubSum, nullptr, nullptr),
       "sum");
    long long s = 0;
    for (float x : v) s += std::llround(x);
    return s;
  }

  long long check_float(const std::vector<float>& out, bool mean) {
    long long wrong = 0;
    for (std::size_t j = 0; j < out.size(); ++j) {
      float sum = 0;
      for (int r = 0; r < nranks_; ++r) sum += float_input(r, j);
      const float expect = mean ? sum / static_cast<float>(nranks_) : sum;
      if (!(std::fabs(out[j] - expect) <= 1e-5f * std::max(1.0f, std::fabs(expect)))) ++wrong;
    }
    return wrong;
  }

  long long check_planes(const std::vector<std::uint32_t>& sout,
                         const std::vector<std::uint32_t>& nzout, std::size_t n, bool ternary,
                         std::uint64_t step) {
    std::vector<std::vector<std::uint32_t>> signs, nonzeros;
    for (int r = 0; r < nranks_; ++r) {
      signs.push_back(plane(r, 0, n));
      if (ternary) nonzeros.push_back(plane(r, 1, n));
    }
    long long wrong = 0;
    for (std::size_t i = 0; i < n; ++i) {
      const std::size_t w = i / 32;
      const std::uint32_t bit = 1u << (i % 32);
      long long total = 0;
      for (int r = 0; r < nranks_; ++r) {
        const int s = (signs[r][w] & bit) ? 1 : -1;
        total += ternary ? ((nonzeros[r][w] & bit) ? s : 0) : s;
      }
      const int expect = resolve(total, o_.tie, step);
      const bool nz = nzout[w] & bit, sg = sout[w] & bit;
      const int got = !nz ? 0 : (sg ? 1 : -1);
      if (got != expect) ++wrong;
    }
    return wrong;
  }

  lioncubComm_t comm_;
  const Options& o_;
  int rank_ = 0, nranks_ = 1;
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

void print_header(const std::string& algo, int nranks) {
  std::printf("#\n# algorithm %s, %d ranks\n", algo.c_str(), nranks);
  std::printf("#%11s  %12s  %8s  %6s  %6s  %9s  %7s  %7s  %6s  %24s  %12s  %7s\n", "size",
              "count", "type", "redop", "root", "time", "algbw", "busbw", "#wrong", "algorithm",
              "wire/rank", "linkeff");
  std::printf("#%11s  %12s  %8s  %6s  %6s  %9s  %7s  %7s  %6s  %24s  %12s  %7s\n", "(B)",
              "(elements)", "", "", "", "(us)", "(GB/s)", "(GB/s)", "", "", "(B)", "");
}

void print_row(const Row& r, int nranks, double link) {
  char wrong[32];
  if (r.wrong < 0) std::snprintf(wrong, sizeof wrong, "N/A");
  else std::snprintf(wrong, sizeof wrong, "%lld", r.wrong);
  char eff[32];
  if (link > 0) std::snprintf(eff, sizeof eff, "%.3f", r.link_eff);
  else std::snprintf(eff, sizeof eff, "N/A");
  std::printf("%12llu  %12llu  %8s  %6s  %6d  %9.1f  %7.3f  %7.3f  %6s  %24s  %12llu  %7s\n",
              (unsigned long long)r.size, (unsigned long long)r.count, r.type.c_str(),
              r.redop.c_str(), -1, r.seconds * 1e6, algbw_gbs(double(r.size), r.seconds),
              busbw_gbs(double(r.size), r.seconds, nranks), wrong, r.algorithm.c_str(),
              (unsigned long long)r.wire_bytes, eff);
}

int run_rank(lioncubComm_t comm, const Options& o) {
  Bench bench(comm, o);
  const bool leader = bench.rank() == 0;
  std::string rate_text = o.link_rate;
  if (rate_text.empty() && std::getenv("LIONCUB_LINK_RATE"))
    rate_text = std::getenv("LIONCUB_LINK_RATE");
  double link = 0;
  if (!rate_text.empty()) {
    auto v = lioncub::perf::parse_rate(rate_text);
    if (!v) {
      std::fprintf(stderr, "lioncub-perf: bad link rate '%s'\n", rate_text.c_str());
      return 2;
    }
    link = *v;
  }
  if (leader) {
    std::printf("# lioncub-perf: %d ranks, -b %llu -e %llu -f %g -n %d -w %d -c %d -d float, tie %s\n",
                bench.nranks(), (unsigned long long)o.begin, (unsigned long long)o.end, o.factor,
                o.iters, o.warmup, o.check, o.tie == lioncubTieZero ? "zero" : "alternate");
    if (link > 0)
      std::printf("# link rate %s = %.6g GB/s per rank (linkeff = (wire/rank / link rate) / time)\n",
                  rate_text.c_str(), link / 1e9);
    else
      std::printf("# link rate unknown (set --link-rate or LIONCUB_LINK_RATE): linkeff N/A\n");
    std::printf("# size = bytes of the fp32 gradient (count * 4) for every algorithm; busbw = "
                "algbw * 2(P-1)/P\n");
    std::fflush(stdout);
  }
  std::vector<Row> rows;
  long long total_wrong = 0;
  for (const std::string& algo : o.algos) {
    if (leader) print_header(algo, bench.nranks());
    double bus_sum = 0;
    int nrows = 0;
    for (double size = double(o.begin); size <= double(o.end) * (1 + 1e-9); size *= o.factor) {
      Row r = bench.run(algo, static_cast<std::uint64_t>(size) / 4 * 4);
      r.link_eff = link_efficiency(double(r.wire_bytes), link, r.seconds);
      if (r.wrong > 0) total_wrong += r.wrong;
      bus_sum += busbw_gbs(double(r.size), r.seconds, bench.nranks());
      ++nrows;
      if (leader) {
        print_row(r, bench.nranks(), link);
        std::fflush(stdout);
      }
      rows.push_back(r);
    }
    if (leader) {
      long long wrong = 0;
      for (std::size_t i = rows.size() - std::size_t(nrows); i < rows.size(); ++i)
        if (rows[i].wrong > 0) wrong += rows[i].wrong;
      std::printf("# Out of bounds values : %lld %s\n", wrong, wrong ? "FAILED" : "OK");
      std::printf("# Avg bus bandwidth    : %g\n", nrows ? bus_sum / nrows : 0.0);
    }
  }
  if (leader && !o.json.empty()) {
    FILE* f = std::fopen(o.json.c_str(), "w");
    if (!f) {
      std::fprintf(stderr, "lioncub-perf: cannot write %s\n", o.json.c_str());
      return 1;
    }
    std::fprintf(f, "{\n  \"tool\": \"lioncub-perf\",\n  \"nranks\": %d,\n", bench.nranks());
    std::fprintf(f, "  \"link_rate\": \"%s\",\n  \"link_bytes_per_s\": %.17g,\n",
                 json_escape(rate_text).c_str(), link);
    std::fprintf(f, "  \"iters\": %d,\n  \"warmup\": %d,\n  \"check\": %d,\n  \"rows\": [\n",
                 o.iters, o.warmup, o.check);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Row& r = rows[i];
      std::fprintf(f,
                   "    {\"algorithm\": \"%s\", \"size\": %llu, \"count\": %llu, \"type\": \"%s\", "
                   "\"redop\": \"%s\", \"root\": -1, \"time_us\": %.17g, \"algbw\": %.17g, "
                   "\"busbw\": %.17g, \"wrong\": %lld, \"wire_bytes\": %llu, \"link_eff\": %.17g}%s\n",
                   r.algorithm.c_str(), (unsigned long long)r.size, (unsigned long long)r.count,
                   r.type.c_str(), r.redop.c_str(), r.seconds * 1e6,
                   algbw_gbs(double(r.size), r.seconds),
                   busbw_gbs(double(r.size), r.seconds, bench.nranks()), r.wrong,
                   (unsigned long long)r.wire_bytes, r.link_eff, i + 1 < rows.size() ? "," : "");
    }
    std::fprintf(f, "  ]\n}\n");
    std::fclose(f);
  }
  return total_wrong ? 1 : 0;
}


}  // namespace

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

int main(int argc, char** argv) {
  Options o = parse(argc, argv);
  const bool from_env = o.np == 0 && (std::getenv("LIONCUB_RANK") || std::getenv("RANK") ||
                                      std::getenv("OMPI_COMM_WORLD_RANK"));
  if (!o.cluster_rate.empty() && !from_env) return run_on_cluster(o);
  if (from_env) {
    lioncubComm_t comm = nullptr;
    ok(lioncubCommInitFromEnv(&comm), "lioncubCommInitFromEnv");
    const int rc = run_rank(comm, o);
    lioncubCommDestroy(comm);
    return rc;
  }
  return lioncub::bench::run_local_ranks(o.np ? o.np : 2, [&](lioncubComm_t comm) { return run_rank(comm, o); });
}
