// CPU kernel benchmark: each fused pass against a memcpy that touches the same number of bytes,
// measured in the same binary and run, on one thread.
//
//   lioncub-kernel-bench [--lioncub_elements=N] [Google Benchmark flags]
//
// Bytes touched per element (fp32 state, P = 8): encode 4 (g) + 8 (m read+write) + 1/8 or 2/8
// (code); apply 8 (p read+write) + 1/8 or 2/8; vote P/8 + 2/8; ternary re-encode 2P/8 + 2/8.
// The summary table prints GB/s and the ratio to memcpy with the targets.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "kernels/kernels.h"
#include "lioncub/lioncub.h"

namespace {

size_t g_elements = size_t(1) << 24;  // 64 MiB per fp32 array: well past the caches

struct Pass {
  std::string name;
  double bytes_per_element;
  double target;  // minimum ratio to memcpy; 0 = none
};

std::vector<uint32_t> random_words(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<uint32_t> v(n);
  for (auto& x : v) x = uint32_t(rng());
  return v;
}

std::vector<float> random_floats(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> d;
  std::vector<float> v(n);
  for (auto& x : v) x = d(rng);
  return v;
}

void check(benchmark::State& state, lioncubResult_t r) {
  if (r != lioncubSuccess) state.SkipWithError(lioncubGetLastErrorMessage());
}

void set_bytes(benchmark::State& state, double bytes_per_iteration) {
  state.SetBytesProcessed(int64_t(double(state.iterations()) * bytes_per_iteration));
}

void bench_memcpy(benchmark::State& state, double touched_bytes) {
  const size_t n = size_t(touched_bytes / 2);
  std::vector<char> src(n, 1), dst(n, 0);
  for (auto _ : state) {
    std::memcpy(dst.data(), src.data(), n);
    benchmark::DoNotOptimize(dst.data());
    benchmark::ClobberMemory();
  }
  set_bytes(state, double(2 * n));
}

void bench_encode(benchmark::State& state, lioncubCode_t code, lioncubDataType_t type, double bpe) {
  const size_t n = g_elements;
  std::vector<float> g = random_floats(n, 1), m = random_floats(n, 2);
  std::vector<uint16_t> g16(n, 0x3f80), m16(n, 0x3f80);
  std::vector<uint32_t> sign(lioncubPackedWords(n)), nonzero(lioncubPackedWords(n));
  lioncubEncodeDesc_t d{n, type, type, 0.9f, 0.99f, code, 1.0f, 1024};
  const void* gp = type == lioncubFloat32 ? static_cast<const void*>(g.data()) : g16.data();
  void* mp = type == lioncubFloat32 ? static_cast<void*>(m.data()) : m16.data();
  for (auto _ : state) {
    check(state, lioncubEncode(&d, gp, mp, sign.data(), nonzero.data(), nullptr, lioncubMemHost, nullptr));
    benchmark::ClobberMemory();
  }
  set_bytes(state, bpe * double(n));
}

void bench_apply(benchmark::State& state, bool with_nonzero, double bpe) {
  const size_t n = g_elements;
  std::vector<float> p = random_floats(n, 3);
  std::vector<uint32_t> sign = random_words(lioncubPackedWords(n), 4), nonzero = random_words(lioncubPackedWords(n), 5);
  lioncubUpdate_t u{lioncubUpdatePlanes, sign.data(), with_nonzero ? nonzero.data() : nullptr, nullptr, nullptr, 0};
  for (auto _ : state) {
    check(state, lioncubApply(n, lioncubFloat32, p.data(), &u, 1e-4f, 0.1f, lioncubMemHost, nullptr));
    benchmark::ClobberMemory();
  }
  set_bytes(state, bpe * double(n));
}

void bench_vote(benchmark::State& state, int nvec, bool ternary, double bpe) {
  const size_t n = g_elements, words = lioncubPackedWords(n);
  std::vector<uint32_t> a = random_words(words * nvec, 6), b = random_words(words * nvec, 7);
  std::vector<uint32_t> sign(words), nonzero(words);
  for (auto _ : state) {
    if (ternary) {
      check(state, lioncubTernaryReencode(a.data(), b.data(), words, nvec, n, lioncubTieZero, 0, sign.data(),
                                          nonzero.data(), lioncubMemHost, nullptr));
    } else {
      check(state, lioncubVote(a.data(), words, nvec, n, lioncubTieZero, 0, sign.data(), nonzero.data(),
                               lioncubMemHost, nullptr));
    }
    benchmark::ClobberMemory();
  }
  set_bytes(state, bpe * double(n));
}

// Collects bytes/s per benchmark name for the summary.
class Collector : public benchmark::ConsoleReporter {
 public:
  std::map<std::string, double> rate;
  void ReportRuns(const std::vector<Run>& runs) override {
    for (const Run& r : runs) {
      if (!r.error_occurred && r.counters.count("bytes_per_second")) {
        rate[r.run_name.function_name] = r.counters.at("bytes_per_second");
      }
    }
    ConsoleReporter::ReportRuns(runs);
  }
};

}  // namespace

int main(int argc, char** argv) {
  std::vector<char*> args;
  for (int i = 0; i < argc; ++i) {
    if (std::strncmp(argv[i], "--lioncub_elements=", 19) == 0) {
      g_elements = std::strtoull(argv[i] + 19, nullptr, 0);
    } else {
      args.push_back(argv[i]);
    }
  }
  int nargs = int(args.size());
  benchmark::Initialize(&nargs, args.data());

  const int P = 8;
  const std::vector<Pass> passes{
      {"encode/sign/fp32", 12.125, 0.7},   {"encode/ternary/fp32", 12.25, 0.7},
      {"encode/sign/bf16", 6.125, 0.0},    {"apply/sign/fp32", 8.125, 0.7},
      {"apply/ternary/fp32", 8.25, 0.7},   {"vote/P8", (P + 2) / 8.0, 0.5},
      {"ternary-reencode/P8", (2 * P + 2) / 8.0, 0.0},
  };
  for (const Pass& p : passes) {
    const double touched = p.bytes_per_element * double(g_elements);
    benchmark::RegisterBenchmark(("memcpy/" + p.name).c_str(), bench_memcpy, touched)->UseRealTime();
  }
  benchmark::RegisterBenchmark("encode/sign/fp32", bench_encode, lioncubCodeSign, lioncubFloat32, 12.125)->UseRealTime();
  benchmark::RegisterBenchmark("encode/ternary/fp32", bench_encode, lioncubCodeTernary, lioncubFloat32, 12.25)->UseRealTime();
  benchmark::RegisterBenchmark("encode/sign/bf16", bench_encode, lioncubCodeSign, lioncubBfloat16, 6.125)->UseRealTime();
  benchmark::RegisterBenchmark("apply/sign/fp32", bench_apply, false, 8.125)->UseRealTime();
  benchmark::RegisterBenchmark("apply/ternary/fp32", bench_apply, true, 8.25)->UseRealTime();
  benchmark::RegisterBenchmark("vote/P8", bench_vote, P, false, (P + 2) / 8.0)->UseRealTime();
  benchmark::RegisterBenchmark("ternary-reencode/P8", bench_vote, P, true, (2 * P + 2) / 8.0)->UseRealTime();

  Collector collector;
  benchmark::RunSpecifiedBenchmarks(&collector);
  benchmark::Shutdown();

  std::printf("\nlioncub CPU kernels (%s), %zu elements, one thread (ratio = pass bytes/s / memcpy bytes/s)\n",
              lioncub::cpu::isa(), g_elements);
  std::printf("%-22s %10s %12s %8s %8s\n", "pass", "GB/s", "memcpy GB/s", "ratio", "target");
  for (const Pass& p : passes) {
    const auto k = collector.rate.find(p.name), c = collector.rate.find("memcpy/" + p.name);
    if (k == collector.rate.end() || c == collector.rate.end()) continue;
    const double ratio = k->second / c->second;
    std::printf("%-22s %10.2f %12.2f %8.2f %8s%s\n", p.name.c_str(), k->second / 1e9, c->second / 1e9, ratio,
                p.target > 0 ? std::to_string(p.target).substr(0, 4).c_str() : "-",
                p.target > 0 && ratio < p.target ? "  below target" : "");
  }
  return 0;
}
