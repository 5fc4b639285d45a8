// lioncub-step-bench: times lioncubLionStep on the host backend and reports, from the step's own
// statistics in the same run, the caller's busy time (encode + apply), the communication thread's
// busy time (exchange + momentum sync) and the step time over the larger of the two (1.0 = perfect
// overlap; the target is <= 1.15).
//
//   lioncub-step-bench [--np P] [--numel N] [--bucket-bytes B] [--algo NAME] [--steps S]
//
// Ranks start as in every lioncub tool (bench/support/launch.h): --np P (or its older spelling
// --ranks) forks P ranks on loopback; without it, a launcher's ranks (scripts/cluster.sh,
// torchrun, mpirun) or 4 forked ranks.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "support/launch.h"
#include "lioncub/lioncub.h"

namespace {

struct Options {
  int ranks = 0;  // 0: a launcher's, or 4 forked
  size_t numel = size_t(1) << 22;
  size_t bucket_bytes = size_t(1) << 20;
  std::string algo = "alltoall-vote";
  int steps = 20, warmup = 3;
};

int run_rank(lioncubComm_t comm, const Options& o) {
  int rank = 0, P = 1;
  lioncubCommRank(comm, &rank);
  lioncubCommSize(comm, &P);
  lioncubLionConfig_t cfg;
  lioncubLionConfigDefault(&cfg);
  cfg.lr = 1e-4f;
  cfg.bucketBytes = o.bucket_bytes;
  if (lioncubAlgorithmFromName(o.algo.c_str(), &cfg.algorithm) != lioncubSuccess) {
    std::fprintf(stderr, "unknown algorithm %s\n", o.algo.c_str());
    return 2;
  }
  if (cfg.algorithm == lioncubAlgoQuant2Rs) cfg.code = lioncubCodeTernary;
  lioncubLion_t opt = nullptr;
  if (lioncubLionCreate(&opt, comm, o.numel, lioncubFloat32, &cfg) != lioncubSuccess) {
    std::fprintf(stderr, "rank %d: create: %s\n", rank, lioncubGetLastErrorMessage());
    return 1;
  }
  std::vector<float> p(o.numel, 0.5f), m(o.numel, 0.0f), g(o.numel);
  uint64_t x = 0x9e3779b97f4a7c15ull * uint64_t(rank + 1);
  for (float& v : g) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    v = float(int64_t(x >> 40) - (int64_t(1) << 23)) / float(1 << 23);
  }
  double total = 0, enc = 0, app = 0, ex = 0, sync = 0;
  uint64_t bytes = 0;
  std::vector<double> step_times;
  for (int s = 0; s < o.warmup + o.steps; ++s) {
    if (lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr) != lioncubSuccess) {
      std::fprintf(stderr, "rank %d: step: %s\n", rank, lioncubGetLastErrorMessage());
      return 1;
    }
    lioncubLionStats_t st;
    lioncubLionGetStats(opt, &st);
    if (s < o.warmup) continue;
    total += st.secondsTotal;
    enc += st.secondsEncode;
    app += st.secondsApply;
    ex += st.secondsExchange;
    sync += st.secondsSync;
    bytes += st.bytesSent;
    step_times.push_back(st.secondsTotal);
  }
  const double n = o.steps;
  std::sort(step_times.begin(), step_times.end());
  const double busy_caller = (enc + app) / n, busy_comm = (ex + sync) / n;
  std::printf(
      "rank %d P=%d algo=%s numel=%zu bucket=%zu B: step %.2f ms (median %.2f) | encode %.2f + apply %.2f = %.2f ms | "
      "exchange %.2f ms | sent %.2f MB/step | step / max(encode+apply, exchange) = %.3f\n",
      rank, P, o.algo.c_str(), o.numel, o.bucket_bytes, 1e3 * total / n, 1e3 * step_times[step_times.size() / 2],
      1e3 * enc / n, 1e3 * app / n, 1e3 * busy_caller, 1e3 * busy_comm, double(bytes) / n / 1e6,
      (total / n) / std::max(busy_caller, busy_comm));
  std::fflush(stdout);
  lioncubLionDestroy(opt);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--np" || k == "--ranks") o.ranks = std::atoi(v);
    else if (k == "--numel") o.numel = std::strtoull(v, nullptr, 0);
    else if (k == "--bucket-bytes") o.bucket_bytes = std::strtoull(v, nullptr, 0);
    else if (k == "--algo") o.algo = v;
    else if (k == "--steps") o.steps = std::atoi(v);
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  return lioncub::bench::run_ranks(o.ranks, 4, [&](lioncubComm_t comm) { return run_rank(comm, o); });
}
