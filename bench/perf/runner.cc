#include "perf/runner.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "common/clock.h"
#include "common/hash.h"
#include "perf/perf_math.h"
#include "support/agree.h"

namespace lioncub::perf {
namespace {

// Fails the rank with the library's message (the launcher reports the exit status).
void ok(lioncubResult_t rc, const char* what) {
  if (rc == lioncubSuccess) return;
  std::fprintf(stderr, "lioncub-perf: %s: %s: %s\n", what, lioncubGetErrorString(rc),
               lioncubGetLastErrorMessage());
  std::exit(1);
}

std::uint64_t splitmix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

// Rank r's element j of the float inputs: small integers, so every sum is exact in any order.
float float_input(int rank, std::size_t j) {
  return static_cast<float>(static_cast<int>((j * 3 + static_cast<std::size_t>(rank) * 7) % 17) - 8);
}

// Plane `which` (0 sign, 1 nonzero) of rank r's seeded code of n elements, pad bits 0.
std::vector<std::uint32_t> plane(int r, int which, std::size_t n) {
  std::vector<std::uint32_t> p(lioncubPackedWords(n));
  for (std::size_t w = 0; w < p.size(); ++w)
    p[w] = static_cast<std::uint32_t>(
        splitmix64((std::uint64_t(r) << 40) ^ (std::uint64_t(which) << 39) ^ w));
  if (n % 32) p.back() &= (1u << (n % 32)) - 1;
  return p;
}

// The per-element reference of the aggregate: +1, -1 or 0 (ties per policy).
int resolve(long long total, lioncubTiePolicy_t tie, std::uint64_t step) {
  if (total > 0) return 1;
  if (total < 0) return -1;
  return tie == lioncubTieZero ? 0 : (step % 2 == 0 ? 1 : -1);
}

long long check_float(const std::vector<float>& out, int nranks, bool mean) {
  long long wrong = 0;
  for (std::size_t j = 0; j < out.size(); ++j) {
    float sum = 0;
    for (int r = 0; r < nranks; ++r) sum += float_input(r, j);
    const float expect = mean ? sum / static_cast<float>(nranks) : sum;
    if (!(std::fabs(out[j] - expect) <= 1e-5f * std::max(1.0f, std::fabs(expect)))) ++wrong;
  }
  return wrong;
}

long long check_planes(const std::vector<std::uint32_t>& sout, const std::vector<std::uint32_t>& nzout,
                       std::size_t n, int nranks, bool ternary, lioncubTiePolicy_t tie,
                       std::uint64_t step) {
  std::vector<std::vector<std::uint32_t>> signs, nonzeros;
  for (int r = 0; r < nranks; ++r) {
    signs.push_back(plane(r, 0, n));
    if (ternary) nonzeros.push_back(plane(r, 1, n));
  }
  long long wrong = 0;
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t w = i / 32;
    const std::uint32_t bit = 1u << (i % 32);
    long long total = 0;
    for (int r = 0; r < nranks; ++r) {
      const int s = (signs[r][w] & bit) ? 1 : -1;
      total += ternary ? ((nonzeros[r][w] & bit) ? s : 0) : s;
    }
    const int expect = resolve(total, tie, step);
    const bool nz = nzout[w] & bit, sg = sout[w] & bit;
    if ((!nz ? 0 : (sg ? 1 : -1)) != expect) ++wrong;
  }
  return wrong;
}

}  // namespace

Placements placements_of(const std::string& algorithm) {
  if (algorithm == "full" || algorithm == "mean") return Placements::kBoth;
  if (algorithm == "lion-step") return Placements::kInPlaceOnly;
  return Placements::kOutOfPlaceOnly;
}

Runner::Runner(lioncubComm_t comm, const Options& o) : comm_(comm), o_(o) {
  ok(lioncubCommRank(comm, &rank_), "lioncubCommRank");
  ok(lioncubCommSize(comm, &nranks_), "lioncubCommSize");
}

void Runner::barrier() {
  std::vector<std::vector<std::uint64_t>> unused;
  ok(bench::allgather_words(comm_, {}, &unused), "barrier");
}

Measured Runner::combine(double seconds, long long wrong, std::uint64_t wire, std::uint64_t* max_wire) {
  std::vector<std::vector<std::uint64_t>> all;
  ok(bench::allgather_words(comm_, {bench::double_word(seconds), std::uint64_t(wrong < 0 ? 0 : wrong), wire},
                            &all),
     "gather results");
  Measured m;
  std::vector<double> times;
  long long total_wrong = 0;
  for (const auto& r : all) {
    times.push_back(bench::word_double(r[0]));
    total_wrong += static_cast<long long>(r[1]);
    m.failed_ranks += r[1] != 0;
    if (max_wire) *max_wire = std::max(*max_wire, r[2]);
  }
  m.seconds = combine_times(times, o_.average);
  m.wrong = o_.check ? total_wrong : -1;
  return m;
}

Row Runner::run(const std::string& algorithm, std::uint64_t size) {
  return algorithm == "lion-step" ? run_step(size) : run_collective(algorithm, size);
}

Row Runner::run_collective(const std::string& name, std::uint64_t size) {
  lioncubAlgorithm_t algo;
  ok(lioncubAlgorithmFromName(name.c_str(), &algo), "algorithm");
  Row row;
  row.algorithm = name;
  row.placements = placements_of(name);
  row.size = size;
  row.count = size / 4;
  const std::size_t n = row.count, words = lioncubPackedWords(n);
  const bool is_float = row.placements == Placements::kBoth;
  const bool ternary = algo == lioncubAlgoQuant2Rs;
  const lioncubReduceOp_t op = !o_.op.empty() ? (o_.op == "avg" ? lioncubAvg : lioncubSum)
                               : algo == lioncubAlgoMean ? lioncubAvg : lioncubSum;
  row.type = is_float ? "float" : ternary ? "tern2" : "sign1";
  row.redop = is_float ? (op == lioncubAvg ? "avg" : "sum") : ternary ? "tsum" : "vote";
  const std::uint64_t step = 0;

  std::vector<float> fin(is_float ? n : 0), fout(is_float ? n : 0);
  for (std::size_t j = 0; j < fin.size(); ++j) fin[j] = float_input(rank_, j);
  std::vector<std::uint32_t> sign, nonzero, sout(words), nzout(words);
  if (!is_float) {
    sign = plane(rank_, 0, n);
    if (ternary) nonzero = plane(rank_, 1, n);
  }
  lioncubCollStats_t st{};
  auto call = [&](bool in_place) {
    if (is_float) {
      const float* in = in_place ? fout.data() : fin.data();
      ok(lioncubAllreduce(comm_, algo, in, fout.data(), n, lioncubFloat32, op, &st, nullptr),
         name.c_str());
    } else {
      ok(lioncubSignAggregate(comm_, algo, ternary ? lioncubCodeTernary : lioncubCodeSign,
                              sign.data(), ternary ? nonzero.data() : nullptr, n, o_.tie, step,
                              sout.data(), nzout.data(), &st, nullptr),
         name.c_str());
    }
  };
  auto measure = [&](bool in_place) {
    if (in_place) fout = fin;  // in place: the input is where the result goes
    for (int i = 0; i < o_.warmup; ++i) call(in_place);
    barrier();
    const double t0 = now_s();
    for (int i = 0; i < o_.iters; ++i) call(in_place);
    const double mine = (now_s() - t0) / o_.iters;
    long long wrong = 0;
    for (int c = 0; c < o_.check && wrong == 0; ++c) {
      if (in_place) fout = fin;
      call(in_place);
      if (o_.plant_wrong && !in_place && rank_ == 0 && n > 0) {
        if (is_float) fout[n / 2] += 1.0f;
        else sout[0] ^= 1u, nzout[0] |= 1u;
      }
      wrong = is_float ? check_float(fout, nranks_, op == lioncubAvg)
                       : check_planes(sout, nzout, n, nranks_, ternary, o_.tie, step);
    }
    return combine(mine, wrong, st.bytesSent, &row.wire_bytes);
  };
  row.out_of_place = measure(false);
  row.in_place = row.placements == Placements::kBoth ? measure(true) : row.out_of_place;
  return row;
}

// One optimizer step per call, in place. Check: every rank must end with rank 0's parameters
// (a rank's #wrong is 1 when its parameters' fingerprint differs from rank 0's).
Row Runner::run_step(std::uint64_t size) {
  Row row;
  row.placements = Placements::kInPlaceOnly;
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
  auto step = [&] { ok(lioncubLionStep(opt, params.data(), grads.data(), momentum.data(), nullptr), "lion-step"); };
  for (int i = 0; i < o_.warmup; ++i) step();
  const double t0 = now_s();
  for (int i = 0; i < o_.iters; ++i) step();
  const double mine = (now_s() - t0) / o_.iters;
  lioncubLionStats_t st{};
  ok(lioncubLionGetStats(opt, &st), "lioncubLionGetStats");
  row.algorithm = std::string("lion-step/") + lioncubAlgorithmName(st.algorithm);
  ok(lioncubLionDestroy(opt), "lioncubLionDestroy");  // the communicator is ours again
  if (o_.plant_wrong && rank_ == 0 && n > 0) params[n / 2] += 1.0f;
  long long wrong = 0;
  if (o_.check) {
    std::vector<std::vector<std::uint64_t>> prints;
    ok(bench::allgather_words(comm_, {fnv1a64(kFnvOffset, params.data(), n * sizeof(float))}, &prints),
       "gather fingerprints");
    wrong = prints[std::size_t(rank_)][0] != prints[0][0];
  }
  row.in_place = combine(mine, wrong, st.bytesSent, &row.wire_bytes);
  row.out_of_place = row.in_place;
  return row;
}

}  // namespace lioncub::perf
