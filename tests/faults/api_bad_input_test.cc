// Hostile input to the public API, filling the gaps left by tests/kernels/bad_input_test.cc,
// tests/collectives/errors_test.cc and tests/optimizer (bad configurations): every lioncubLion*
// entry point and the communicator queries with null pointers, zero and huge counts, enum
// values out of range, and an optimizer made on another communicator. Each must return an
// error code with a message, never abort. Each case runs in a forked child so that an abort is
// reported as a failure of that case rather than of the whole binary.
//
// Calls after destroy are caught by the handle registry (common/handles.h; tested below); a
// freed address that a later create reuses cannot be told from the new handle (see
// docs/reliability.md).
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "lioncub/lioncub.h"

namespace lioncub::test {
namespace {

// What one case must return: an error (any code but success) unless `want` is given.
struct Case {
  const char* what;
  std::function<lioncubResult_t(lioncubComm_t comm, lioncubLion_t opt)> call;
  lioncubResult_t want = lioncubNumResults;  // lioncubNumResults: any error
};

// Runs every case in a child with a fresh 1-rank communicator and optimizer (1,000 fp32
// elements). A case passes when it returns the wanted code and a non-empty message.
void run_cases(const std::vector<Case>& cases) {
  for (const Case& c : cases) {
    std::fflush(nullptr);
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(fds[0]);
      lioncubComm_t comm = nullptr;
      lioncubLion_t opt = nullptr;
      lioncubLionConfig_t cfg;
      lioncubLionConfigDefault(&cfg);
      std::string out;
      if (lioncubCommInitHost(&comm, 1, 0, nullptr) != lioncubSuccess ||
          lioncubLionCreate(&opt, comm, 1000, lioncubFloat32, &cfg) != lioncubSuccess) {
        out = std::string("setup failed: ") + lioncubGetLastErrorMessage();
      } else {
        const lioncubResult_t rc = c.call(comm, opt);
        const std::string msg = lioncubGetLastErrorMessage();
        if (c.want != lioncubNumResults ? rc != c.want : rc == lioncubSuccess) {
          out = "returned " + std::to_string(rc) + " (" + lioncubGetErrorString(rc) + ")";
        } else if (rc != lioncubSuccess && msg.empty()) {
          out = "returned " + std::to_string(rc) + " without a message";
        }
      }
      [[maybe_unused]] ssize_t w = ::write(fds[1], out.data(), out.size());
      ::_exit(0);
    }
    ::close(fds[1]);
    std::string got;
    char buf[512];
    ssize_t n;
    while ((n = ::read(fds[0], buf, sizeof buf)) > 0) got.append(buf, size_t(n));
    ::close(fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (WIFSIGNALED(status)) {
      ADD_FAILURE() << c.what << ": killed by signal " << WTERMSIG(status) << " (abort or crash)";
    } else {
      EXPECT_EQ(got, "") << c.what;
    }
  }
}

std::vector<float> buf(size_t n) { return std::vector<float>(n, 0.25f); }

TEST(ApiBadInput, OptimizerEntryPoints) {
  const lioncubDataType_t bad_dtype = static_cast<lioncubDataType_t>(77);
  const size_t huge = std::numeric_limits<size_t>::max() / 2;
  std::vector<Case> cases = {
      {"ConfigDefault(NULL)", [](lioncubComm_t, lioncubLion_t) { return lioncubLionConfigDefault(nullptr); }},
      {"Create(opt NULL)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         return lioncubLionCreate(nullptr, c, 10, lioncubFloat32, &cfg);
       }},
      {"Create(comm NULL)", [](lioncubComm_t, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         lioncubLion_t o = nullptr;
         return lioncubLionCreate(&o, nullptr, 10, lioncubFloat32, &cfg);
       }},
      {"Create(cfg NULL)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubLion_t o = nullptr;
         return lioncubLionCreate(&o, c, 10, lioncubFloat32, nullptr);
       }},
      {"Create(dtype 77)", [=](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         lioncubLion_t o = nullptr;
         return lioncubLionCreate(&o, c, 10, bad_dtype, &cfg);
       }},
      {"Create(algorithm 99, code 99, tie 99, sync 99)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubResult_t worst = lioncubInvalidArgument;
         for (int k = 0; k < 4; ++k) {
           lioncubLionConfig_t cfg;
           lioncubLionConfigDefault(&cfg);
           if (k == 0) cfg.algorithm = static_cast<lioncubAlgorithm_t>(99);
           if (k == 1) cfg.code = static_cast<lioncubCode_t>(99);
           if (k == 2) cfg.tie = static_cast<lioncubTiePolicy_t>(99);
           if (k == 3) cfg.momentumSync = static_cast<lioncubMomentumSync_t>(99);
           lioncubLion_t o = nullptr;
           const lioncubResult_t rc = lioncubLionCreate(&o, c, 64, lioncubFloat32, &cfg);
           if (rc == lioncubSuccess) return rc;
         }
         return worst;
       }},
      {"Create(NaN lr, NaN beta, exp k 0)", [](lioncubComm_t c, lioncubLion_t) {
         for (int k = 0; k < 3; ++k) {
           lioncubLionConfig_t cfg;
           lioncubLionConfigDefault(&cfg);
           if (k == 0) cfg.lr = std::nanf("");
           if (k == 1) cfg.beta1 = std::nanf("");
           if (k == 2) {
             cfg.momentumSync = lioncubSyncExponential;
             cfg.momentumSyncExpK = 0.0f;
           }
           lioncubLion_t o = nullptr;
           if (lioncubLionCreate(&o, c, 64, lioncubFloat32, &cfg) == lioncubSuccess) return lioncubSuccess;
         }
         return lioncubInvalidArgument;
       }},
      {"Create(sync tensor index out of range)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         const int idx[] = {0, 5};
         cfg.momentumSync = lioncubSyncEvery;
         cfg.momentumSyncTensors = idx;
         cfg.numMomentumSyncTensors = 2;
         lioncubLion_t o = nullptr;
         return lioncubLionCreate(&o, c, 64, lioncubFloat32, &cfg);
       }},
      {"Create(sync tensors NULL with count 3)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         cfg.numMomentumSyncTensors = -3;
         const int idx[] = {0};
         cfg.momentumSyncTensors = idx;
         lioncubLion_t o = nullptr;
         return lioncubLionCreate(&o, c, 64, lioncubFloat32, &cfg);
       }},
      {"CreateTensors(ntensors 0)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         const size_t n[] = {10};
         lioncubLion_t o = nullptr;
         return lioncubLionCreateTensors(&o, c, 0, n, lioncubFloat32, &cfg);
       }},
      {"CreateTensors(ntensors -1)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         const size_t n[] = {10};
         lioncubLion_t o = nullptr;
         return lioncubLionCreateTensors(&o, c, -1, n, lioncubFloat32, &cfg);
       }},
      {"CreateTensors(numels NULL)", [](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         lioncubLion_t o = nullptr;
         return lioncubLionCreateTensors(&o, c, 2, nullptr, lioncubFloat32, &cfg);
       }},
      {"Step(opt NULL)", [](lioncubComm_t, lioncubLion_t) {
         auto p = buf(1000), g = buf(1000), m = buf(1000);
         return lioncubLionStep(nullptr, p.data(), g.data(), m.data(), nullptr);
       }},
      {"Step(params NULL)", [](lioncubComm_t, lioncubLion_t o) {
         auto g = buf(1000), m = buf(1000);
         return lioncubLionStep(o, nullptr, g.data(), m.data(), nullptr);
       }},
      {"Step(grads NULL)", [](lioncubComm_t, lioncubLion_t o) {
         auto p = buf(1000), m = buf(1000);
         return lioncubLionStep(o, p.data(), nullptr, m.data(), nullptr);
       }},
      {"Step(momentum NULL)", [](lioncubComm_t, lioncubLion_t o) {
         auto p = buf(1000), g = buf(1000);
         return lioncubLionStep(o, p.data(), g.data(), nullptr, nullptr);
       }},
      {"Step(misaligned params)", [](lioncubComm_t, lioncubLion_t o) {
         auto p = buf(1001), g = buf(1000), m = buf(1000);
         return lioncubLionStep(o, reinterpret_cast<char*>(p.data()) + 1, g.data(), m.data(), nullptr);
       }},
      {"StepTensors(arrays NULL)", [](lioncubComm_t, lioncubLion_t o) {
         return lioncubLionStepTensors(o, nullptr, nullptr, nullptr, nullptr);
       }},
      {"StepTensors(a NULL tensor)", [](lioncubComm_t, lioncubLion_t o) {
         auto g = buf(1000), m = buf(1000);
         void* p[] = {nullptr};
         const void* gp[] = {g.data()};
         void* mp[] = {m.data()};
         return lioncubLionStepTensors(o, p, gp, mp, nullptr);
       }},
      {"SetLr(NULL)", [](lioncubComm_t, lioncubLion_t) { return lioncubLionSetLr(nullptr, 1e-3f); }},
      {"SetLr(NaN)", [](lioncubComm_t, lioncubLion_t o) { return lioncubLionSetLr(o, std::nanf("")); }},
      {"SetLr(-1)", [](lioncubComm_t, lioncubLion_t o) { return lioncubLionSetLr(o, -1.0f); }},
      {"SetLr(+inf)", [](lioncubComm_t, lioncubLion_t o) {
         return lioncubLionSetLr(o, std::numeric_limits<float>::infinity());
       }},
      {"GetStats(NULL, stats)", [](lioncubComm_t, lioncubLion_t) {
         lioncubLionStats_t s;
         return lioncubLionGetStats(nullptr, &s);
       }},
      {"GetStats(opt, NULL)", [](lioncubComm_t, lioncubLion_t o) { return lioncubLionGetStats(o, nullptr); }},
      {"StateSize(NULL)", [](lioncubComm_t, lioncubLion_t o) { return lioncubLionStateSize(o, nullptr); }},
      {"StateSize(opt NULL)", [](lioncubComm_t, lioncubLion_t) {
         size_t n;
         return lioncubLionStateSize(nullptr, &n);
       }},
      {"SaveState(buf NULL)", [](lioncubComm_t, lioncubLion_t o) { return lioncubLionSaveState(o, nullptr, 4096); }},
      {"SaveState(0 bytes)", [](lioncubComm_t, lioncubLion_t o) {
         char b[8];
         return lioncubLionSaveState(o, b, 0);
       }},
      {"LoadState(buf NULL)", [](lioncubComm_t, lioncubLion_t o) { return lioncubLionLoadState(o, nullptr, 64); }},
      {"LoadState(huge size)", [=](lioncubComm_t, lioncubLion_t o) {
         char b[8] = {};
         return lioncubLionLoadState(o, b, huge);
       }},
      {"LoadState(random bytes of the right size)", [](lioncubComm_t, lioncubLion_t o) {
         size_t n = 0;
         lioncubLionStateSize(o, &n);
         std::vector<unsigned char> b(n);
         for (size_t i = 0; i < n; ++i) b[i] = static_cast<unsigned char>(i * 131 + 7);
         return lioncubLionLoadState(o, b.data(), n);
       }},
      {"LoadState(another optimizer's state)", [](lioncubComm_t c, lioncubLion_t o) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         cfg.beta1 = 0.5f;
         lioncubLion_t other = nullptr;
         if (lioncubLionCreate(&other, c, 2000, lioncubFloat32, &cfg) != lioncubSuccess) return lioncubSuccess;
         size_t n = 0;
         lioncubLionStateSize(other, &n);
         std::vector<unsigned char> b(n);
         lioncubLionSaveState(other, b.data(), n);
         lioncubLionDestroy(other);
         return lioncubLionLoadState(o, b.data(), n);
       }},
      {"Destroy(NULL) is a no-op", [](lioncubComm_t, lioncubLion_t) { return lioncubLionDestroy(nullptr); },
       lioncubSuccess},
  };
  run_cases(cases);
}

TEST(ApiBadInput, CommunicatorQueriesAndCollectives) {
  std::vector<Case> cases = {
      {"CommRank(NULL comm)", [](lioncubComm_t, lioncubLion_t) {
         int r;
         return lioncubCommRank(nullptr, &r);
       }},
      {"CommRank(NULL out)", [](lioncubComm_t c, lioncubLion_t) { return lioncubCommRank(c, nullptr); }},
      {"CommSize(NULL out)", [](lioncubComm_t c, lioncubLion_t) { return lioncubCommSize(c, nullptr); }},
      {"CommSize(NULL comm)", [](lioncubComm_t, lioncubLion_t) {
         int n;
         return lioncubCommSize(nullptr, &n);
       }},
      {"CommMemory(NULL out)", [](lioncubComm_t c, lioncubLion_t) { return lioncubCommMemory(c, nullptr); }},
      {"CommMemory(NULL comm)", [](lioncubComm_t, lioncubLion_t) {
         lioncubMemory_t m;
         return lioncubCommMemory(nullptr, &m);
       }},
      {"CommInitNccl(NULL, NULL)", [](lioncubComm_t, lioncubLion_t) { return lioncubCommInitNccl(nullptr, nullptr); }},
      {"CommInitNccl(out, NULL nccl)", [](lioncubComm_t, lioncubLion_t) {
         lioncubComm_t c = nullptr;
         return lioncubCommInitNccl(&c, nullptr);
       }},
      {"AlgorithmFromName(NULL)", [](lioncubComm_t, lioncubLion_t) {
         lioncubAlgorithm_t a;
         return lioncubAlgorithmFromName(nullptr, &a);
       }},
      {"AlgorithmFromName(name, NULL)", [](lioncubComm_t, lioncubLion_t) {
         return lioncubAlgorithmFromName("full", nullptr);
       }},
      {"AlgorithmName(99) is NULL", [](lioncubComm_t, lioncubLion_t) {
         return lioncubAlgorithmName(static_cast<lioncubAlgorithm_t>(99)) == nullptr ? lioncubSuccess
                                                                                     : lioncubInvalidArgument;
       },
       lioncubSuccess},
      {"Allreduce(op 9)", [](lioncubComm_t c, lioncubLion_t) {
         float x[4] = {};
         return lioncubAllreduce(c, lioncubAlgoFull, x, x, 4, lioncubFloat32,
                                 static_cast<lioncubReduceOp_t>(9), nullptr, nullptr);
       }},
      {"SignAggregate(tie 9)", [](lioncubComm_t c, lioncubLion_t) {
         uint32_t s[4] = {}, o[4] = {}, z[4] = {};
         return lioncubSignAggregate(c, lioncubAlgoAllgatherVote, lioncubCodeSign, s, nullptr, 64,
                                     static_cast<lioncubTiePolicy_t>(9), 0, o, z, nullptr, nullptr);
       }},
      {"Destroy(NULL comm) is a no-op", [](lioncubComm_t, lioncubLion_t) { return lioncubCommDestroy(nullptr); },
       lioncubSuccess},
  };
  run_cases(cases);
}

// Counts beyond LIONCUB_MAX_ELEMENTS (2^40), also ones whose byte size or packed word count
// would overflow size_t, and tensor lists whose sizes sum past SIZE_MAX: rejected before anything
// is sized from them (these once ran into the OOM killer, returned success, or crashed).
TEST(ApiBadInput, HugeCountsAreRejected) {
  const size_t huge = std::numeric_limits<size_t>::max() / 2;
  std::vector<Case> cases = {
      {"Create(numel huge)", [=](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         lioncubLion_t o = nullptr;
         return lioncubLionCreate(&o, c, huge, lioncubFloat32, &cfg);
       }},
      {"CreateTensors(sizes summing past SIZE_MAX)", [=](lioncubComm_t c, lioncubLion_t) {
         lioncubLionConfig_t cfg;
         lioncubLionConfigDefault(&cfg);
         const size_t n[] = {huge, huge, huge};
         lioncubLion_t o = nullptr;
         return lioncubLionCreateTensors(&o, c, 3, n, lioncubFloat32, &cfg);
       }},
      {"Allreduce(count huge)", [](lioncubComm_t c, lioncubLion_t) {
         float x[4] = {};
         return lioncubAllreduce(c, lioncubAlgoFull, x, x, std::numeric_limits<size_t>::max() / 2,
                                 lioncubFloat32, lioncubSum, nullptr, nullptr);
       }},
      {"SignAggregate(numel huge)", [](lioncubComm_t c, lioncubLion_t) {
         uint32_t s[4] = {}, o[4] = {}, z[4] = {};
         return lioncubSignAggregate(c, lioncubAlgoAllgatherVote, lioncubCodeSign, s, nullptr,
                                     std::numeric_limits<size_t>::max() - 3, lioncubTieZero, 0, o, z,
                                     nullptr, nullptr);
       }},
  };
  run_cases(cases);
}

// Handles after destroy, destroyed twice, or from another object: a registry of live handles
// turns each into lioncubInvalidUsage with a message (no new handle is created in between, so
// the freed addresses are not reused).
TEST(ApiBadInput, DestroyedAndForeignHandles) {
  const lioncubResult_t usage = lioncubInvalidUsage;
  std::vector<Case> cases = {
      {"CommSize after CommDestroy", [](lioncubComm_t c, lioncubLion_t o) {
         lioncubLionDestroy(o);
         lioncubCommDestroy(c);
         int n = 0;
         return lioncubCommSize(c, &n);
       }, usage},
      {"SignAggregate after CommDestroy", [](lioncubComm_t c, lioncubLion_t o) {
         lioncubLionDestroy(o);
         lioncubCommDestroy(c);
         uint32_t s[1] = {}, out[1] = {};
         return lioncubSignAggregate(c, lioncubAlgoAlltoallVote, lioncubCodeSign, s, nullptr, 32,
                                     lioncubTieAlternate, 0, out, nullptr, nullptr, nullptr);
       }, usage},
      {"CommDestroy twice", [](lioncubComm_t c, lioncubLion_t o) {
         lioncubLionDestroy(o);
         lioncubCommDestroy(c);
         return lioncubCommDestroy(c);
       }, usage},
      {"LionStep after LionDestroy", [](lioncubComm_t, lioncubLion_t o) {
         lioncubLionDestroy(o);
         auto p = buf(1000), g = buf(1000), m = buf(1000);
         return lioncubLionStep(o, p.data(), g.data(), m.data(), nullptr);
       }, usage},
      {"LionDestroy twice", [](lioncubComm_t, lioncubLion_t o) {
         lioncubLionDestroy(o);
         return lioncubLionDestroy(o);
       }, usage},
      {"a stack address as a communicator", [](lioncubComm_t, lioncubLion_t) {
         int x = 0;
         int n = 0;
         return lioncubCommSize(reinterpret_cast<lioncubComm_t>(&x), &n);
       }, usage},
      {"a communicator passed as an optimizer", [](lioncubComm_t c, lioncubLion_t) {
         auto p = buf(1000), g = buf(1000), m = buf(1000);
         return lioncubLionStep(reinterpret_cast<lioncubLion_t>(c), p.data(), g.data(), m.data(), nullptr);
       }, usage},
  };
  run_cases(cases);
}

// An optimizer made on one communicator, stepped while a second communicator exists: the
// optimizer keeps using its own; destroying the other one first changes nothing.
TEST(ApiBadInput, OptimizerIgnoresAnotherCommunicator) {
  std::vector<Case> cases = {
      {"step after an unrelated comm was destroyed", [](lioncubComm_t, lioncubLion_t o) {
         lioncubComm_t other = nullptr;
         if (lioncubCommInitHost(&other, 1, 0, nullptr) != lioncubSuccess) return lioncubInternalError;
         lioncubCommDestroy(other);
         auto p = buf(1000), g = buf(1000), m = buf(1000);
         return lioncubLionStep(o, p.data(), g.data(), m.data(), nullptr);
       },
       lioncubSuccess},
  };
  run_cases(cases);
}

}  // namespace
}  // namespace lioncub::test
