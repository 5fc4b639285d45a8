// The NCCL backend (lioncubCommInitNccl) on one GPU: P forked processes, each with its own
// NCCL_HOSTID, so NCCL treats every process as a separate node and routes all traffic through the
// net plugin (NCCL_NET_PLUGIN = lioncub's libnccl-net-lioncub.so, NCCL_NET=lioncub, loopback).
// Every rank runs each collective on the NCCL backend (device buffers, a stream) and on the host
// backend (same inputs), and checks both against a reference computed here from all ranks' seeded
// codes. Skipped without a GPU (or in a build without the NCCL backend).
//
// The parent never initializes CUDA (a forked child could not use it): the device count is asked
// in a child process.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "harness.h"
#include "lioncub/lioncub.h"

#if defined(LIONCUB_HAVE_NCCL)
#include "support/nccl_ranks.h"
#endif

namespace lioncub::test {
namespace {

TEST(NcclBackend, NullCommunicatorIsAnError) {
  lioncubComm_t comm = reinterpret_cast<lioncubComm_t>(0x1);
  EXPECT_EQ(lioncubCommInitNccl(nullptr, nullptr), lioncubInvalidArgument);
  EXPECT_EQ(lioncubCommInitNccl(&comm, nullptr), lioncubInvalidArgument);
  EXPECT_EQ(comm, nullptr);
#if !defined(LIONCUB_HAVE_NCCL)
  EXPECT_EQ(lioncubCommInitNccl(&comm, reinterpret_cast<ncclComm_t>(0x10)), lioncubNotSupported);
  EXPECT_NE(std::string(lioncubGetLastErrorMessage()).find("NCCL"), std::string::npos);
#endif
}

#if defined(LIONCUB_HAVE_NCCL)

size_t words(size_t n) { return (n + 31) / 32; }
bool bit(const std::vector<uint32_t>& p, size_t i) { return (p[i / 32] >> (i % 32)) & 1u; }

int code_value(bool ternary, uint64_t seed, int r, size_t i) {
  const uint64_t h = splitmix64(seed * 1000003u + static_cast<uint64_t>(r) * 7919u + i * 2654435761u);
  return ternary ? static_cast<int>(h % 3) - 1 : static_cast<int>(h & 1u);
}

int reference(bool ternary, uint64_t seed, int P, size_t i, lioncubTiePolicy_t tie, uint64_t step) {
  int score = 0;
  for (int r = 0; r < P; ++r) {
    const int v = code_value(ternary, seed, r, i);
    score += ternary ? v : (v ? 1 : -1);
  }
  if (score != 0) return score > 0 ? 1 : -1;
  if (tie == lioncubTieZero) return 0;
  return step % 2 == 0 ? 1 : -1;
}

struct DeviceBuf {
  void* p = nullptr;
  explicit DeviceBuf(size_t bytes) {
    if (cudaMalloc(&p, std::max<size_t>(bytes, 4)) != cudaSuccess) p = nullptr;
  }
  ~DeviceBuf() { cudaFree(p); }
  uint32_t* u32() { return static_cast<uint32_t*>(p); }
  float* f32() { return static_cast<float*>(p); }
};

std::string u_mismatch(const std::vector<uint32_t>& s, const std::vector<uint32_t>& nz, size_t n,
                       const std::function<int(size_t)>& want) {
  for (size_t i = 0; i < n; ++i) {
    const int got = bit(nz, i) ? (bit(s, i) ? 1 : -1) : 0;
    if (got != want(i)) {
      return "[" + std::to_string(i) + "] got " + std::to_string(got) + " want " + std::to_string(want(i));
    }
  }
  return "";
}

// One rank's sweep: every algorithm for both codes, sizes, tie policies; the float allreduce.
std::string rank_body(int P, int rank, const std::string& dir, const std::string& rdv) {
  ncclComm_t nccl = nullptr;
  std::string err = nccl_rank_init(P, rank, dir, &nccl);
  if (!err.empty()) return err;
  lioncubComm_t dev = nullptr, host = nullptr;
  lioncubResult_t rc = lioncubCommInitNccl(&dev, nccl);
  if (rc != lioncubSuccess) return "lioncubCommInitNccl: " + describe(rc);
  rc = lioncubCommInitHost(&host, P, rank, rdv.c_str());
  if (rc != lioncubSuccess) return "lioncubCommInitHost: " + describe(rc);
  lioncubMemory_t mem = lioncubMemHost;
  if (lioncubCommMemory(dev, &mem) != lioncubSuccess || mem != lioncubMemDevice) {
    return "lioncubCommMemory does not answer lioncubMemDevice";
  }
  cudaStream_t stream = nullptr;
  CUDA_OR_FAIL(cudaStreamCreate(&stream));

  const std::vector<size_t> sizes = {0, 1, 31, 33, 1000, 100003, size_t(1) << 22};
  uint64_t seed = 100;
  for (bool ternary : {false, true}) {
    const std::vector<lioncubAlgorithm_t> algos =
        ternary ? std::vector<lioncubAlgorithm_t>{lioncubAlgoQuant2Rs, lioncubAlgoPackedSum, lioncubAlgoAuto}
                : std::vector<lioncubAlgorithm_t>{lioncubAlgoAllgatherVote, lioncubAlgoAlltoallVote,
                                                   lioncubAlgoPackedSum, lioncubAlgoAuto};
    for (lioncubAlgorithm_t algo : algos) {
      for (size_t n : sizes) {
        for (int tcase = 0; tcase < 3; ++tcase) {
          const lioncubTiePolicy_t tie = tcase == 0 ? lioncubTieZero : lioncubTieAlternate;
          const uint64_t step = tcase == 2 ? 1 : 0;
          ++seed;
          const size_t W = words(n);
          std::vector<uint32_t> s(W, 0), nz(W, 0);
          for (size_t i = 0; i < n; ++i) {
            const int v = code_value(ternary, seed, rank, i);
            if (ternary ? v > 0 : v == 1) s[i / 32] |= 1u << (i % 32);
            if (v != 0) nz[i / 32] |= 1u << (i % 32);
          }
          DeviceBuf ds(W * 4), dnz(W * 4), dso((W + 1) * 4), dnzo((W + 1) * 4);
          if (!ds.p || !dnz.p || !dso.p || !dnzo.p) return "cudaMalloc failed";
          CUDA_OR_FAIL(cudaMemcpy(ds.p, s.data(), W * 4, cudaMemcpyHostToDevice));
          CUDA_OR_FAIL(cudaMemcpy(dnz.p, nz.data(), W * 4, cudaMemcpyHostToDevice));
          CUDA_OR_FAIL(cudaMemset(dso.p, 0xa5, (W + 1) * 4));
          CUDA_OR_FAIL(cudaMemset(dnzo.p, 0xa5, (W + 1) * 4));
          const lioncubCode_t code = ternary ? lioncubCodeTernary : lioncubCodeSign;
          std::ostringstream where;
          where << lioncubAlgorithmName(algo) << (ternary ? " ternary" : " sign") << " P=" << P
                << " n=" << n << " tie=" << tie << " step=" << step << ": ";
          lioncubCollStats_t dst{}, hst{};
          dst.secondsTotal = -1;
          rc = lioncubSignAggregate(dev, algo, code, ds.u32(), ternary ? dnz.u32() : nullptr, n, tie,
                                    step, dso.u32(), dnzo.u32(), &dst, stream);
          if (rc != lioncubSuccess) return where.str() + "NCCL backend: " + describe(rc);
          CUDA_OR_FAIL(cudaStreamSynchronize(stream));
          std::vector<uint32_t> gs(W + 1), gnz(W + 1);
          CUDA_OR_FAIL(cudaMemcpy(gs.data(), dso.p, (W + 1) * 4, cudaMemcpyDeviceToHost));
          CUDA_OR_FAIL(cudaMemcpy(gnz.data(), dnzo.p, (W + 1) * 4, cudaMemcpyDeviceToHost));
          // The host backend runs what the NCCL backend ran (auto's choice included).
          std::vector<uint32_t> hs(W + 1, 0xa5a5a5a5u), hnz(W + 1, 0xa5a5a5a5u);
          rc = lioncubSignAggregate(host, dst.algorithm, code, s.data(), ternary ? nz.data() : nullptr,
                                    n, tie, step, hs.data(), hnz.data(), &hst, nullptr);
          if (rc != lioncubSuccess) return where.str() + "host backend: " + describe(rc);
          if (dst.algorithm == lioncubAlgoAuto) return where.str() + "auto did not report its choice";
          if (algo != lioncubAlgoAuto && dst.algorithm != algo && algo != lioncubAlgoPackedSum) {
            return where.str() + "stats.algorithm";
          }
          if (dst.secondsTotal != 0) return where.str() + "NCCL seconds not 0";
          if (P > 1 && W >= static_cast<size_t>(P) && dst.bytesSent == 0) return where.str() + "bytesSent 0";
          err = u_mismatch(gs, gnz, n, [&](size_t i) { return reference(ternary, seed, P, i, tie, step); });
          if (!err.empty()) return where.str() + "NCCL vs reference " + err;
          err = u_mismatch(gs, gnz, n, [&](size_t i) { return bit(hnz, i) ? (bit(hs, i) ? 1 : -1) : 0; });
          if (!err.empty()) return where.str() + "NCCL vs host " + err;
          if (n % 32 && ((gs[W - 1] >> (n % 32)) || (gnz[W - 1] >> (n % 32)))) return where.str() + "pad bits";
          if (gs[W] != 0xa5a5a5a5u || gnz[W] != 0xa5a5a5a5u) return where.str() + "wrote past the plane";
        }
      }
    }
  }
  // Float allreduce: value = 3*(j mod 65536) + rank, sums exact in fp32.
  for (size_t n : {size_t(0), size_t(1), size_t(1000), size_t(100003)}) {
    for (lioncubAlgorithm_t algo : {lioncubAlgoFull, lioncubAlgoMean}) {
      for (bool in_place : {false, true}) {
        const lioncubReduceOp_t op = algo == lioncubAlgoMean ? lioncubAvg : lioncubSum;
        std::vector<float> in(n);
        for (size_t j = 0; j < n; ++j) in[j] = static_cast<float>((j % 65536) * 3 + static_cast<size_t>(rank));
        DeviceBuf a(n * 4), b(n * 4);
        CUDA_OR_FAIL(cudaMemcpy(a.p, in.data(), n * 4, cudaMemcpyHostToDevice));
        lioncubCollStats_t st{};
        rc = lioncubAllreduce(dev, algo, a.f32(), in_place ? a.f32() : b.f32(), n, lioncubFloat32, op,
                              &st, stream);
        std::ostringstream where;
        where << "allreduce " << lioncubAlgorithmName(algo) << " n=" << n << " in_place=" << in_place << ": ";
        if (rc != lioncubSuccess) return where.str() + describe(rc);
        CUDA_OR_FAIL(cudaStreamSynchronize(stream));
        std::vector<float> out(n);
        CUDA_OR_FAIL(cudaMemcpy(out.data(), in_place ? a.p : b.p, n * 4, cudaMemcpyDeviceToHost));
        for (size_t j = 0; j < n; ++j) {
          const double sum = static_cast<double>(P) * static_cast<double>((j % 65536) * 3) + P * (P - 1) / 2.0;
          const double want = op == lioncubSum ? sum : sum / P;
          // ncclAvg may scale by 1/P instead of dividing: allow one rounding.
          if (std::fabs(out[j] - want) > (op == lioncubSum ? 0.0 : std::fabs(want) * 2e-7)) {
            return where.str() + "[" + std::to_string(j) + "] got " + std::to_string(out[j]) +
                   " want " + std::to_string(want);
          }
        }
        if (st.algorithm != algo) return where.str() + "stats.algorithm";
      }
    }
  }
  cudaStreamDestroy(stream);
  lioncubCommDestroy(dev);
  lioncubCommDestroy(host);
  ncclCommDestroy(nccl);
  return "";
}

class NcclRanks : public ::testing::TestWithParam<int> {};

TEST_P(NcclRanks, MatchesHostBackendAndReference) {
  const int n_dev = device_count_in_child();
  if (n_dev == 0) GTEST_SKIP() << "no CUDA device on this machine";
  const int P = GetParam();
  char tmpl[] = "/tmp/lioncub-nccl-test-XXXXXX";
  ASSERT_NE(::mkdtemp(tmpl), nullptr);
  const std::string dir = tmpl, rdv = loopback(free_port());
  const auto errors = run_all(P, [&](int rank) { return rank_body(P, rank, dir, rdv); }, 240.0);
  for (const std::string& e : errors) EXPECT_EQ(e, "") << "P=" << P;
  std::remove((dir + "/nccl-id").c_str());
  ::rmdir(dir.c_str());
}

INSTANTIATE_TEST_SUITE_P(OneGpu, NcclRanks, ::testing::Values(2, 3, 4),
                         [](const testing::TestParamInfo<int>& i) { return "P" + std::to_string(i.param); });

#else

TEST(NcclRanks, MatchesHostBackendAndReference) {
  GTEST_SKIP() << "this lioncub was built without the NCCL backend (needs CUDA and NCCL)";
}

#endif

}  // namespace
}  // namespace lioncub::test
