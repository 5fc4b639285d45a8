// The optimizer step (lioncubLionStep) on the NCCL backend, one GPU: P forked processes, each with
// its own NCCL_HOSTID so that NCCL routes all traffic through lioncub's net plugin (as in
// tests/collectives/nccl_test.cc). Every rank runs 10 fp32 steps with seeded gradients on a device
// communicator (device buffers, a stream), then the same steps on a host communicator over
// loopback, and requires parameters and momentum to be equal bit for bit, and the same per-step
// statistics (algorithm, non-finite flag: one step has a NaN gradient on the last rank). The
// parameters are three tensors, two of which start inside a word of the flat planes (the device
// bit-shift kernels against the host's shifts). Gradients are dyadic (k/64), so `full`'s averages are
// exact whatever the reduction order; P is a power of two, so dividing by P and scaling by 1/P
// agree. Skipped without a GPU (or in a build without the NCCL backend).
//
// The parent never initializes CUDA (a forked child could not use it): the device count is asked
// in a child process.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "harness.h"
#include "lioncub/lioncub.h"

#if defined(LIONCUB_HAVE_NCCL)
#include "support/nccl_ranks.h"
#endif

namespace lioncub::test {
namespace {

#if defined(LIONCUB_HAVE_NCCL)

constexpr size_t kNumel = 100003;
constexpr int kSteps = 10;
// 40000 bytes = 10000 fp32, rounded down to 9984 (312 words): 10 full buckets and a partial one.
constexpr size_t kBucketBytes = 40000;
// Three tensors laid end to end: the second and third start inside a word (bit-shift kernels).
const size_t kTensors[3] = {kNumel - 136, 37, 99};
// A NaN gradient on the last rank in this step: the flag must read 1 on every rank (device: after
// the event at the step's end), and the element abstains identically on both backends.
constexpr int kNanStep = 5;
constexpr size_t kNanIndex = 12345;

// k/64 for an integer k in [-64, 64].
float dyadic(uint64_t seed, int rank, uint64_t step, size_t i) {
  const uint64_t h = splitmix64(seed * 0x9e37u + uint64_t(rank) * 1000003u + step * 7919u + i * 2654435761u);
  return float(int(h % 129) - 64) / 64.0f;
}

struct Run {
  std::vector<float> params, momentum;
  std::vector<lioncubLionStats_t> stats;
};

lioncubLionConfig_t config(lioncubAlgorithm_t algo) {
  lioncubLionConfig_t cfg;
  lioncubLionConfigDefault(&cfg);
  cfg.lr = 0.01f;
  cfg.weightDecay = 0.1f;
  cfg.algorithm = algo;
  cfg.code = algo == lioncubAlgoQuant2Rs ? lioncubCodeTernary : lioncubCodeSign;
  cfg.tie = lioncubTieAlternate;  // P = 2 and 4 tie often: exercises the tie toggle
  cfg.bucketBytes = kBucketBytes;
  return cfg;
}

void initial_state(int rank, Run* run) {
  run->params.resize(kNumel);
  run->momentum.resize(kNumel);
  for (size_t i = 0; i < kNumel; ++i) {
    run->params[i] = float(int(i % 97) - 48) / 16.0f;
    run->momentum[i] = dyadic(7, rank, 1000, i) / 8.0f;  // differs between ranks
  }
}

void grads_of(int P, int rank, uint64_t step, std::vector<float>* g) {
  g->resize(kNumel);
  for (size_t i = 0; i < kNumel; ++i) (*g)[i] = dyadic(42, rank, step, i);
  if (step == kNanStep && rank == P - 1) (*g)[kNanIndex] = NAN;
}

// The 10 steps on `comm` (device or host memory per `device`), state copied back into `run`.
std::string steps(lioncubComm_t comm, bool device, int P, int rank, lioncubAlgorithm_t algo, Run* run) {
  initial_state(rank, run);
  const lioncubLionConfig_t cfg = config(algo);
  lioncubLion_t opt = nullptr;
  lioncubResult_t rc = lioncubLionCreateTensors(&opt, comm, 3, kTensors, lioncubFloat32, &cfg);
  if (rc != lioncubSuccess) return "lioncubLionCreate: " + describe(rc);
  const size_t bytes = kNumel * sizeof(float);
  float *p = run->params.data(), *m = run->momentum.data(), *g = nullptr;
  std::vector<float> hg;
  cudaStream_t stream = nullptr;
  if (device) {
    CUDA_OR_FAIL(cudaStreamCreate(&stream));
    CUDA_OR_FAIL(cudaMalloc(&p, bytes));
    CUDA_OR_FAIL(cudaMalloc(&m, bytes));
    CUDA_OR_FAIL(cudaMalloc(&g, bytes));
    CUDA_OR_FAIL(cudaMemcpy(p, run->params.data(), bytes, cudaMemcpyHostToDevice));
    CUDA_OR_FAIL(cudaMemcpy(m, run->momentum.data(), bytes, cudaMemcpyHostToDevice));
  }
  for (int s = 0; s < kSteps; ++s) {
    grads_of(P, rank, uint64_t(s), &hg);
    if (device) {
      CUDA_OR_FAIL(cudaMemcpyAsync(g, hg.data(), bytes, cudaMemcpyHostToDevice, stream));
    }
    rc = lioncubLionStep(opt, p, device ? g : hg.data(), m, stream);
    if (rc != lioncubSuccess) return "step " + std::to_string(s) + ": " + describe(rc);
    if (device) CUDA_OR_FAIL(cudaStreamSynchronize(stream));  // before hg is refilled
    lioncubLionStats_t st{};
    if ((rc = lioncubLionGetStats(opt, &st)) != lioncubSuccess) return "lioncubLionGetStats: " + describe(rc);
    run->stats.push_back(st);
  }
  if (device) {
    CUDA_OR_FAIL(cudaMemcpy(run->params.data(), p, bytes, cudaMemcpyDeviceToHost));
    CUDA_OR_FAIL(cudaMemcpy(run->momentum.data(), m, bytes, cudaMemcpyDeviceToHost));
    cudaFree(p);
    cudaFree(m);
    cudaFree(g);
    cudaStreamDestroy(stream);
  }
  return (rc = lioncubLionDestroy(opt)) == lioncubSuccess ? "" : "lioncubLionDestroy: " + describe(rc);
}

std::string first_difference(const char* what, const std::vector<float>& dev, const std::vector<float>& host) {
  for (size_t i = 0; i < host.size(); ++i) {
    if (std::memcmp(&dev[i], &host[i], sizeof(float)) != 0) {
      std::ostringstream o;
      o.precision(9);
      o << what << "[" << i << "]: NCCL backend " << dev[i] << ", host backend " << host[i];
      return o.str();
    }
  }
  return "";
}

std::string rank_body(int P, int rank, lioncubAlgorithm_t algo, const std::string& dir, const std::string& rdv) {
  const std::string where = std::string(lioncubAlgorithmName(algo)) + " P=" + std::to_string(P) + ": ";
  ncclComm_t nccl = nullptr;
  std::string err = nccl_rank_init(P, rank, dir, &nccl);
  if (!err.empty()) return where + err;
  lioncubComm_t dev = nullptr, host = nullptr;
  lioncubResult_t rc = lioncubCommInitNccl(&dev, nccl);
  if (rc != lioncubSuccess) return where + "lioncubCommInitNccl: " + describe(rc);
  Run d, h;
  err = steps(dev, true, P, rank, algo, &d);
  if (!err.empty()) return where + "NCCL backend: " + err;
  lioncubCommDestroy(dev);
  ncclCommDestroy(nccl);

  if ((rc = lioncubCommInitHost(&host, P, rank, rdv.c_str())) != lioncubSuccess) {
    return where + "lioncubCommInitHost: " + describe(rc);
  }
  err = steps(host, false, P, rank, algo, &h);
  lioncubCommDestroy(host);
  if (!err.empty()) return where + "host backend: " + err;

  for (int s = 0; s < kSteps; ++s) {
    const lioncubLionStats_t &a = d.stats[size_t(s)], &b = h.stats[size_t(s)];
    if (a.step != uint64_t(s) || b.step != uint64_t(s)) return where + "stats.step of step " + std::to_string(s);
    if (a.algorithm != algo || b.algorithm != algo) return where + "stats.algorithm of step " + std::to_string(s);
    const int bad = s == kNanStep;
    if (a.nonFinite != bad || b.nonFinite != bad) return where + "stats.nonFinite of step " + std::to_string(s);
    if (a.momentumSynced != 0 || b.momentumSynced != 0) return where + "stats.momentumSynced";
  }
  err = first_difference("params", d.params, h.params);
  if (err.empty()) err = first_difference("momentum", d.momentum, h.momentum);
  if (!err.empty()) return where + "rank " + std::to_string(rank) + " after " + std::to_string(kSteps) + " steps: " + err;
  return "";
}

class NcclLionStep : public ::testing::TestWithParam<std::tuple<lioncubAlgorithm_t, int>> {};

TEST_P(NcclLionStep, DeviceEqualsHostBitForBit) {
  if (device_count_in_child() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  const lioncubAlgorithm_t algo = std::get<0>(GetParam());
  const int P = std::get<1>(GetParam());
  char tmpl[] = "/tmp/lioncub-nccl-step-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, rdv = loopback(free_port());
  const auto errors = run_all(P, [&](int rank) { return rank_body(P, rank, algo, dir, rdv); }, 240.0);
  for (const std::string& e : errors) EXPECT_EQ(e, "") << lioncubAlgorithmName(algo) << " P=" << P;
  std::remove((dir + "/nccl-id").c_str());
  ::rmdir(dir.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    OneGpu, NcclLionStep,
    ::testing::Combine(::testing::Values(lioncubAlgoFull, lioncubAlgoAlltoallVote, lioncubAlgoQuant2Rs,
                                         lioncubAlgoAllgatherVote),
                       ::testing::Values(2, 4)),
    [](const testing::TestParamInfo<std::tuple<lioncubAlgorithm_t, int>>& i) {
      std::string name = lioncubAlgorithmName(std::get<0>(i.param));
      std::replace(name.begin(), name.end(), '-', '_');
      return name + "_P" + std::to_string(std::get<1>(i.param));
    });

#else

TEST(NcclLionStep, DeviceEqualsHostBitForBit) {
  GTEST_SKIP() << "this lioncub was built without the NCCL backend (needs CUDA and NCCL)";
}

#endif

}  // namespace
}  // namespace lioncub::test
