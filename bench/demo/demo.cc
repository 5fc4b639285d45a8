// lioncub-demo: data-parallel Lion training of an MLP on the 8x8 digits, once per algorithm
// (full, alltoall-vote, quant2-rs by default), the same seed and data on every run. Each rank
// trains on its own shard of the training set; rank 0 prints a progress bar and the table, and
// writes OUT/results.json (per-step loss and time) for scripts/plot_demo.py.
//
//   lioncub-demo --data data/digits.csv.gz [--out DIR] [--algos LIST] [--steps N] [--batch B]
//                [--hidden H] [--layers L] [--lr LR] [--sync-every K] [--np N] [--seed S]
//
// Ranks start as in every lioncub tool (bench/support/launch.h): --np N forks N ranks on
// loopback; without it, a launcher's ranks (scripts/cluster.sh, torchrun, mpirun) or 4 forked.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/launch.h"
#include "lioncub/lioncub.h"
#include "mlp.h"
#include "optimizer.h"

namespace {

using lioncub::demo::DataParallelLion;
using lioncub::demo::LionSettings;
using lioncub::demo::Mlp;

struct Options {
  std::string data = "data/digits.csv.gz", out = ".";
  std::vector<std::string> algos = {"full", "alltoall-vote", "quant2-rs"};
  int steps = 300, batch = 8, hidden = 1024, layers = 2, np = 0, warmup = 5;
  double test_fraction = 0.2;
  std::uint64_t seed = 1;
  LionSettings lion;
  bool progress = true;
};

[[noreturn]] void die(const std::string& msg) {
  std::fprintf(stderr, "lioncub-demo: %s\n", msg.c_str());
  std::exit(1);
}

void check(lioncubResult_t rc, const char* what) {
  if (rc != lioncubSuccess)
    die(std::string(what) + ": " + lioncubGetErrorString(rc) + ": " + lioncubGetLastErrorMessage());
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--data") o.data = val();
    else if (a == "--out") o.out = val();
    else if (a == "--algos") {
      o.algos.clear();
      std::string s = val();
      for (std::size_t p = 0; p <= s.size();) {
        const std::size_t c = std::min(s.find(',', p), s.size());
        o.algos.push_back(s.substr(p, c - p));
        p = c + 1;
      }
    } else if (a == "--steps") o.steps = std::atoi(val().c_str());
    else if (a == "--batch") o.batch = std::atoi(val().c_str());
    else if (a == "--hidden") o.hidden = std::atoi(val().c_str());
    else if (a == "--layers") o.layers = std::atoi(val().c_str());
    else if (a == "--lr") o.lion.lr = std::strtof(val().c_str(), nullptr);
    else if (a == "--weight-decay") o.lion.weight_decay = std::strtof(val().c_str(), nullptr);
    else if (a == "--alpha") o.lion.ternary_alpha = std::strtof(val().c_str(), nullptr);
    else if (a == "--bucket-bytes") o.lion.bucket_bytes = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--sync-every") o.lion.sync_every = std::atoi(val().c_str());
    else if (a == "--seed") o.seed = std::strtoull(val().c_str(), nullptr, 10);
    else if (a == "--np") o.np = std::atoi(val().c_str());
    else if (a == "--no-progress") o.progress = false;
    else if (a == "-h" || a == "--help") {
      std::printf("see the comment at the top of bench/demo/demo.cc and docs/demo.md\n");
      std::exit(0);
    } else die("unknown option " + a);
  }
  if (o.steps < 1 || o.batch < 1 || o.hidden < 1 || o.layers < 0) die("bad sizes");
  for (const std::string& name : o.algos) {
    lioncubAlgorithm_t algo;
    if (lioncubAlgorithmFromName(name.c_str(), &algo) != lioncubSuccess) die("unknown algorithm " + name);
  }
  return o;
}

struct Dataset {
  std::vector<float> x;  // n x 64, pixels / 16
  std::vector<int> y;
  int n = 0;
};

Dataset load(const std::string& path) {
  const bool gz = path.size() > 3 && path.compare(path.size() - 3, 3, ".gz") == 0;
  FILE* f = gz ? ::popen(("gzip -dc '" + path + "'").c_str(), "r") : std::fopen(path.c_str(), "r");
  if (!f) die("cannot read " + path);
  Dataset d;
  int v[65];
  for (;;) {
    int got = 0;
    for (int k = 0; k < 65; ++k) {
      if (std::fscanf(f, k ? " ,%d" : " %d", &v[k]) != 1) break;
      ++got;
    }
    if (got == 0) break;
    if (got != 65) die(path + ": row " + std::to_string(d.n + 1) + " does not have 65 values");
    for (int k = 0; k < 64; ++k) d.x.push_back(float(v[k]) / 16.0f);
    d.y.push_back(v[64]);
    ++d.n;
  }
  if (gz) ::pclose(f);
  else std::fclose(f);
  if (d.n == 0) die(path + ": no rows");
  return d;
}

// Rows `idx` of d.
Dataset subset(const Dataset& d, const std::vector<int>& idx) {
  Dataset s;
  for (int i : idx) {
    s.x.insert(s.x.end(), d.x.begin() + std::ptrdiff_t(i) * 64, d.x.begin() + std::ptrdiff_t(i + 1) * 64);
    s.y.push_back(d.y[i]);
  }
  s.n = int(idx.size());
  return s;
}

struct RunResult {
  std::string algo;
  std::vector<double> step_s, wall_s, loss;
  double median_s = 0, wire_bytes_per_step = 0, train_loss = 0, test_acc = 0;
  int syncs = 0;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

void sum_all(lioncubComm_t comm, std::vector<float>& v) {
  check(lioncubAllreduce(comm, lioncubAlgoFull, v.data(), v.data(), v.size(), lioncubFloat32,
                         lioncubSum, nullptr, nullptr),
        "allreduce");
}

void progress(const std::string& algo, int step, int steps, double loss, double elapsed) {
  const int width = 30, filled = int(double(width) * step / steps);
  std::fprintf(stderr, "\r  %-14s [%s%s] %4d/%d  loss %.4f  %.1fs ", algo.c_str(),
               std::string(filled, '#').c_str(), std::string(width - filled, '.').c_str(), step,
               steps, loss, elapsed);
  if (step == steps) std::fprintf(stderr, "\n");
}

RunResult train(lioncubComm_t comm, const Options& o, const std::string& name, const Dataset& train_set,
                const Dataset& test_set) {
  int rank = 0, nranks = 1;
  check(lioncubCommRank(comm, &rank), "rank");
  check(lioncubCommSize(comm, &nranks), "size");
  lioncubAlgorithm_t algo;
  check(lioncubAlgorithmFromName(name.c_str(), &algo), "algorithm");

  std::vector<int> sizes = {64};
  for (int l = 0; l < o.layers; ++l) sizes.push_back(o.hidden);
  sizes.push_back(10);
  Mlp model(sizes);
  std::vector<float> params(model.numel()), grads(model.numel()), momentum(model.numel(), 0.0f);
  model.init(params.data(), o.seed);  // the same seed on every rank: identical parameters

  // This rank's shard: every nranks-th training sample, reshuffled each epoch.
  std::vector<int> shard;
  for (int i = rank; i < train_set.n; i += nranks) shard.push_back(i);
  std::mt19937_64 rng(o.seed * 1000003 + std::uint64_t(rank));
  std::size_t pos = shard.size();
  std::vector<float> bx(std::size_t(o.batch) * 64);
  std::vector<int> by(o.batch);

  RunResult r;
  r.algo = name;
  std::vector<float> barrier(1, 0.0f);
  sum_all(comm, barrier);
  // The optimizer owns the communicator while it exists (lioncubLionStep's communication thread):
  // created after the barrier, destroyed before the evaluation's allreduces.
  auto opt = std::make_unique<DataParallelLion>(comm, algo, model.numel(), o.lion);
  double wire = 0;
  const auto start = std::chrono::steady_clock::now();
  for (int step = 0; step < o.steps; ++step) {
    const auto t0 = std::chrono::steady_clock::now();
    for (int b = 0; b < o.batch; ++b) {
      if (pos == shard.size()) {
        std::shuffle(shard.begin(), shard.end(), rng);
        pos = 0;
      }
      const int i = shard[pos++];
      std::copy_n(&train_set.x[std::size_t(i) * 64], 64, &bx[std::size_t(b) * 64]);
      by[b] = train_set.y[i];
    }
    const double loss = model.forward_backward(params.data(), bx.data(), by.data(), o.batch, grads.data());
    // Cosine decay of the learning rate to 10% over the run.
    const float lr = float(o.lion.lr * (0.1 + 0.45 * (1 + std::cos(M_PI * step / o.steps))));
    lioncub::demo::StepStats st;
    try {
      st = opt->step(params.data(), grads.data(), momentum.data(), lr);
    } catch (const std::exception& e) {
      die(e.what());
    }
    const auto t1 = std::chrono::steady_clock::now();
    wire += double(st.wire_bytes);
    r.syncs += st.momentum_synced;
    r.step_s.push_back(std::chrono::duration<double>(t1 - t0).count());
    r.wall_s.push_back(std::chrono::duration<double>(t1 - start).count());
    r.loss.push_back(loss);
    // A bar redrawn in place on a terminal; four lines per run otherwise (logs, ctest).
    const bool tty = ::isatty(2);
    const bool quarter = (step + 1) * 4 / o.steps != step * 4 / o.steps;
    if (rank == 0 && o.progress && (tty ? (step + 1 == o.steps || step % 5 == 0) : quarter)) {
      progress(name, step + 1, o.steps, loss, r.wall_s.back());
      if (!tty && step + 1 < o.steps) std::fprintf(stderr, "\n");
    }
  }
  opt.reset();
  r.wire_bytes_per_step = wire / o.steps;
  r.median_s = median(std::vector<double>(r.step_s.begin() + std::min<std::ptrdiff_t>(o.warmup, o.steps - 1), r.step_s.end()));

  // Per-step loss averaged over ranks; final loss over the whole training set; test accuracy.
  std::vector<float> losses(r.loss.begin(), r.loss.end());
  sum_all(comm, losses);
  for (std::size_t i = 0; i < losses.size(); ++i) r.loss[i] = losses[i] / nranks;
  std::vector<int> mine_train, mine_test;
  for (int i = rank; i < train_set.n; i += nranks) mine_train.push_back(i);
  for (int i = rank; i < test_set.n; i += nranks) mine_test.push_back(i);
  const Dataset a = subset(train_set, mine_train), b = subset(test_set, mine_test);
  double train_loss = 0, test_loss = 0;
  int train_ok = 0, test_ok = 0;
  model.evaluate(params.data(), a.x.data(), a.y.data(), a.n, &train_loss, &train_ok);
  model.evaluate(params.data(), b.x.data(), b.y.data(), b.n, &test_loss, &test_ok);
  std::vector<float> sums = {float(train_loss), float(test_ok)};
  sum_all(comm, sums);
  r.train_loss = sums[0] / train_set.n;
  r.test_acc = 100.0 * sums[1] / test_set.n;
  return r;
}

void write_json(const std::string& path, const Options& o, int nranks, std::size_t numel,
                const std::vector<RunResult>& runs) {
  FILE* f = std::fopen(path.c_str(), "w");
  if (!f) die("cannot write " + path);
  const char* rate = std::getenv("LIONCUB_LINK_RATE");
  std::fprintf(f, "{\n  \"nranks\": %d,\n  \"link_rate\": \"%s\",\n  \"params\": %zu,\n", nranks,
               rate ? rate : "", numel);
  std::fprintf(f, "  \"steps\": %d,\n  \"batch_per_rank\": %d,\n  \"hidden\": %d,\n  \"layers\": %d,\n",
               o.steps, o.batch, o.hidden, o.layers);
  std::fprintf(f, "  \"runs\": [\n");
  for (std::size_t k = 0; k < runs.size(); ++k) {
    const RunResult& r = runs[k];
    std::fprintf(f, "    {\"algorithm\": \"%s\", \"median_step_s\": %.9g, \"wire_bytes_per_step\": %.9g, "
                    "\"final_train_loss\": %.9g, \"test_accuracy\": %.6g, \"momentum_syncs\": %d,\n",
                 r.algo.c_str(), r.median_s, r.wire_bytes_per_step, r.train_loss, r.test_acc, r.syncs);
    auto list = [&](const char* key, const std::vector<double>& v, bool last) {
      std::fprintf(f, "     \"%s\": [", key);
      for (std::size_t i = 0; i < v.size(); ++i) std::fprintf(f, "%s%.6g", i ? ", " : "", v[i]);
      std::fprintf(f, "]%s\n", last ? "" : ",");
    };
    list("step_s", r.step_s, false);
    list("wall_s", r.wall_s, false);
    list("loss", r.loss, true);
    std::fprintf(f, "    }%s\n", k + 1 < runs.size() ? "," : "");
  }
  std::fprintf(f, "  ]\n}\n");
  std::fclose(f);
}

int run_rank(lioncubComm_t comm, const Options& o) {
  int rank = 0, nranks = 1;
  check(lioncubCommRank(comm, &rank), "rank");
  check(lioncubCommSize(comm, &nranks), "size");
  const Dataset all = load(o.data);
  // Train / test split: the same shuffled order on every rank (seeded), test = the first part.
  std::vector<int> order(all.n);
  std::iota(order.begin(), order.end(), 0);
  std::shuffle(order.begin(), order.end(), std::mt19937_64(o.seed));
  const int ntest = int(std::lround(all.n * o.test_fraction));
  const Dataset test_set = subset(all, std::vector<int>(order.begin(), order.begin() + ntest));
  const Dataset train_set = subset(all, std::vector<int>(order.begin() + ntest, order.end()));

  std::vector<int> sizes = {64};
  for (int l = 0; l < o.layers; ++l) sizes.push_back(o.hidden);
  sizes.push_back(10);
  const std::size_t numel = Mlp(sizes).numel();
  if (rank == 0) {
    const char* rate = std::getenv("LIONCUB_LINK_RATE");
    std::fprintf(stderr,
                 "lioncub-demo: %d ranks, link %s, MLP 64-%s10 (%zu parameters), %d train / %d test "
                 "samples, %d steps of %d samples per rank; Lion step: %s\n",
                 nranks, rate && *rate ? rate : "unshaped (loopback)",
                 [&] {
                   std::string s;
                   for (int l = 0; l < o.layers; ++l) s += std::to_string(o.hidden) + "-";
                   return s;
                 }().c_str(),
                 numel, train_set.n, test_set.n, o.steps, o.batch, DataParallelLion::implementation());
  }
  std::vector<RunResult> runs;
  for (const std::string& name : o.algos) runs.push_back(train(comm, o, name, train_set, test_set));
  if (rank != 0) return 0;

  double full_median = 0;
  for (const RunResult& r : runs)
    if (r.algo == "full") full_median = r.median_s;
  std::printf("\n%-15s %16s %13s %9s %11s %13s\n", "algorithm", "median step ms", "wire MB/step",
              "speedup", "train loss", "test acc (%)");
  for (const RunResult& r : runs) {
    char speed[32] = "-";
    if (full_median > 0 && r.median_s > 0) std::snprintf(speed, sizeof speed, "%.2fx", full_median / r.median_s);
    std::printf("%-15s %16.2f %13.3f %9s %11.4f %13.2f\n", r.algo.c_str(), r.median_s * 1e3,
                r.wire_bytes_per_step / 1e6, speed, r.train_loss, r.test_acc);
  }
  std::fflush(stdout);
  write_json(o.out + "/results.json", o, nranks, numel, runs);
  return 0;
}


}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  return lioncub::bench::run_ranks(o.np, 4, [&](lioncubComm_t comm) { return run_rank(comm, o); });
}
