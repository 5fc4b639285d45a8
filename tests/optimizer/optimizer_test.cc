// The optimizer step (lioncubLion*): one rank against a scalar Lion written here; P ranks (forked,
// over loopback) against a reference that computes every rank's c, the aggregation and the
// update; momentum-sync schedules; state save/restore; non-finite gradients; bad configurations.
#include <gtest/gtest.h>
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#define LIONCUB_TEST_MXCSR 1
#endif

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "lioncub/lioncub.h"

namespace lioncub::test {
namespace {

bool finite(float x) { return std::isfinite(x); }

// Gradients with a closed-form average: k/64 for an integer k in [-64, 64] (sums of up to 8 are
// exact in fp32, so `full`'s average is one correctly rounded division whatever the ring order).
float dyadic_grad(uint64_t seed, int rank, uint64_t step, size_t i) {
  const uint64_t h = splitmix64(seed * 0x9e37u + uint64_t(rank) * 1000003u + step * 7919u + i * 2654435761u);
  return float(int(h % 129) - 64) / 64.0f;
}

// The reference of every rank's state, written from the math in docs/kernels.md (fp32 state).
struct Reference {
  int P;
  std::vector<size_t> sizes;  // tensors
  lioncubLionConfig_t cfg;
  std::vector<float> params;                 // the same on every rank
  std::vector<std::vector<float>> momentum;  // per rank
  uint64_t tie_step = 0;

  size_t n() const { return params.size(); }

  // One step with grads[r][i]; `nan_rank`/`nan_index` inject a NaN.
  void step(const std::vector<std::vector<float>>& grads) {
    const float b1 = cfg.beta1, b2 = cfg.beta2, omb1 = 1.0f - b1, omb2 = 1.0f - b2;
    const size_t N = n();
    std::vector<int> u(N, 0);
    if (cfg.algorithm == lioncubAlgoFull || P == 1) {
      for (size_t i = 0; i < N; ++i) {
        float g;
        if (P == 1) {
          g = grads[0][i];
        } else {
          float s = 0.0f;
          for (int r = 0; r < P; ++r) s += grads[size_t(r)][i];  // exact for dyadic grads
          g = s / float(P);
        }
        for (int r = 0; r < P; ++r) {
          float& m = momentum[size_t(r)][i];
          const float c = b1 * m + omb1 * g;
          if (r == 0) u[i] = !finite(c) ? 0 : c > 0.0f ? 1 : c < 0.0f ? -1 : 0;
          const float nm = b2 * m + omb2 * g;
          if (finite(nm)) m = nm;
        }
      }
    } else {
      const bool ternary = cfg.code == lioncubCodeTernary;
      std::vector<int> score(N, 0);
      for (int r = 0; r < P; ++r) {
        std::vector<float> c(N);
        for (size_t i = 0; i < N; ++i) c[i] = b1 * momentum[size_t(r)][i] + omb1 * grads[size_t(r)][i];
        std::vector<float> tau(N, 0.0f);
        if (ternary && cfg.ternaryAlpha > 0.0f) thresholds(c, &tau);
        for (size_t i = 0; i < N; ++i) {
          if (ternary) {
            score[i] += !finite(c[i]) ? 0 : c[i] > tau[i] ? 1 : c[i] < -tau[i] ? -1 : 0;
          } else {
            score[i] += (finite(c[i]) && c[i] > 0.0f) ? 1 : -1;
          }
          float& m = momentum[size_t(r)][i];
          const float nm = b2 * m + omb2 * grads[size_t(r)][i];
          if (finite(nm)) m = nm;
        }
      }
      for (size_t i = 0; i < N; ++i) {
        u[i] = score[i] > 0 ? 1 : score[i] < 0 ? -1
               : cfg.tie == lioncubTieZero ? 0 : (tie_step % 2 == 0 ? 1 : -1);
      }
    }
    const float decay = 1.0f - cfg.lr * cfg.weightDecay;
    for (size_t i = 0; i < N; ++i) params[i] = params[i] * decay - cfg.lr * float(u[i]);
    ++tie_step;
  }

  // tau = alpha * mean|c| over the flat blocks [kB, (k+1)B) cut at tensor boundaries, summed in
  // the canonical order (32 lanes, then halving).
  void thresholds(const std::vector<float>& c, std::vector<float>* tau) const {
    const size_t B = cfg.ternaryBlock;
    size_t ts = 0;
    for (size_t t = 0; t < sizes.size(); ts += sizes[t], ++t) {
      const size_t te = ts + sizes[t];
      size_t s = ts;
      while (s < te) {
        const size_t e = std::min(te, (s / B + 1) * B);
        float lane[32] = {};
        for (size_t i = s; i < e; ++i) lane[(i - s) % 32] += finite(c[i]) ? std::fabs(c[i]) : 0.0f;
        for (int h = 16; h >= 1; h /= 2) {
          for (int l = 0; l < h; ++l) lane[l] += lane[l + h];
        }
        const float v = cfg.ternaryAlpha * (lane[0] / float(e - s));
        for (size_t i = s; i < e; ++i) (*tau)[i] = v;
        s = e;
      }
    }
  }
};

std::string mismatch(const char* what, const std::vector<float>& got, const std::vector<float>& want) {
  for (size_t i = 0; i < want.size(); ++i) {
    if (std::memcmp(&got[i], &want[i], 4) != 0) {
      std::ostringstream o;
      o.precision(9);
      o << what << "[" << i << "] = " << got[i] << ", want " << want[i];
      return o.str();
    }
  }
  return "";
}

lioncubLionConfig_t base_config() {
  lioncubLionConfig_t cfg;
  lioncubLionConfigDefault(&cfg);
  cfg.lr = 0.01f;
  cfg.weightDecay = 0.1f;
  return cfg;
}

// Initial parameters: distinct, exactly representable.
float initial_param(size_t i) { return float(int(i % 97) - 48) / 16.0f; }

// ---- One rank -----------------------------------------------------------------------------

TEST(LionOneRank, Fp32HundredStepsEqualScalarLionBitForBit) {
  const size_t n = 10007;
  lioncubComm_t comm = nullptr;
  ASSERT_EQ(lioncubCommInitHost(&comm, 1, 0, nullptr), lioncubSuccess);
  lioncubLionConfig_t cfg = base_config();
  cfg.bucketBytes = 4096;
  cfg.algorithm = lioncubAlgoAlltoallVote;  // one rank: plain Lion whatever the algorithm
  lioncubLion_t opt = nullptr;
  ASSERT_EQ(lioncubLionCreate(&opt, comm, n, lioncubFloat32, &cfg), lioncubSuccess) << lioncubGetLastErrorMessage();
  std::vector<float> p(n), m(n, 0.0f), g(n), rp(n), rm(n, 0.0f);
  for (size_t i = 0; i < n; ++i) p[i] = rp[i] = initial_param(i);
  const float b1 = 0.9f, b2 = 0.99f, wd = 0.1f;
  for (int t = 0; t < 100; ++t) {
    const float lr = 0.01f * (1.0f + std::cos(float(t) * 0.05f)) / 2.0f;  // a schedule
    ASSERT_EQ(lioncubLionSetLr(opt, lr), lioncubSuccess);
    for (size_t i = 0; i < n; ++i) {
      const uint64_t h = splitmix64(uint64_t(t) * 1000003u + i);
      // mostly random floats; some exact zeros (c == 0 on the first step: sign(0) = 0)
      g[i] = (h % 17 == 0) ? 0.0f : (float(int64_t(h >> 40) - (int64_t(1) << 23)) / float(1 << 23)) * 1e-2f;
    }
    ASSERT_EQ(lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr), lioncubSuccess);
    for (size_t i = 0; i < n; ++i) {  // scalar Lion
      const float c = b1 * rm[i] + (1.0f - b1) * g[i];
      const float u = c > 0.0f ? 1.0f : c < 0.0f ? -1.0f : 0.0f;
      rp[i] = rp[i] * (1.0f - lr * wd) - lr * u;
      rm[i] = b2 * rm[i] + (1.0f - b2) * g[i];
    }
    ASSERT_EQ(mismatch("params", p, rp), "") << "step " << t;
    ASSERT_EQ(mismatch("momentum", m, rm), "") << "step " << t;
    lioncubLionStats_t st{};
    ASSERT_EQ(lioncubLionGetStats(opt, &st), lioncubSuccess);
    EXPECT_EQ(st.step, uint64_t(t));
    EXPECT_EQ(st.bytesSent, 0u);
    EXPECT_EQ(st.nonFinite, 0);
  }
  lioncubLionDestroy(opt);
  lioncubCommDestroy(comm);
}

uint16_t bf(float f) {  // round to nearest even
  uint32_t u;
  std::memcpy(&u, &f, 4);
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
float fb(uint16_t h) {
  const uint32_t u = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &u, 4);
  return f;
}
int ulp_distance(uint16_t a, uint16_t b) {
  auto ord = [](uint16_t x) { return (x & 0x8000u) ? -int(x & 0x7fffu) : int(x); };
  return std::abs(ord(a) - ord(b));
}

TEST(LionOneRank, Bf16WithinOneUlpPerStep) {
  const size_t n = 4099;
  lioncubComm_t comm = nullptr;
  ASSERT_EQ(lioncubCommInitHost(&comm, 1, 0, nullptr), lioncubSuccess);
  lioncubLionConfig_t cfg = base_config();
  cfg.bucketBytes = 1000;  // 480 elements: not a divisor of n
  lioncubLion_t opt = nullptr;
  ASSERT_EQ(lioncubLionCreate(&opt, comm, n, lioncubBfloat16, &cfg), lioncubSuccess) << lioncubGetLastErrorMessage();
  std::vector<uint16_t> p(n), m(n, 0), g(n);
  for (size_t i = 0; i < n; ++i) p[i] = bf(initial_param(i));
  for (int t = 0; t < 50; ++t) {
    for (size_t i = 0; i < n; ++i) g[i] = bf(float(int(splitmix64(uint64_t(t) * 7u + i) % 2001) - 1000) / 1000.0f);
    const std::vector<uint16_t> p0 = p, m0 = m;
    ASSERT_EQ(lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr), lioncubSuccess);
    for (size_t i = 0; i < n; ++i) {
      const float c = 0.9f * fb(m0[i]) + (1.0f - 0.9f) * fb(g[i]);
      const float u = c > 0.0f ? 1.0f : c < 0.0f ? -1.0f : 0.0f;
      const uint16_t wp = bf(fb(p0[i]) * (1.0f - cfg.lr * cfg.weightDecay) - cfg.lr * u);
      const uint16_t wm = bf(0.99f * fb(m0[i]) + (1.0f - 0.99f) * fb(g[i]));
      ASSERT_LE(ulp_distance(p[i], wp), 1) << "step " << t << " param " << i;
      ASSERT_LE(ulp_distance(m[i], wm), 1) << "step " << t << " momentum " << i;
    }
  }
  lioncubLionDestroy(opt);
  lioncubCommDestroy(comm);
}

TEST(LionOneRank, RejectsBadConfigurationAtCreate) {
  lioncubComm_t comm = nullptr;
  ASSERT_EQ(lioncubCommInitHost(&comm, 1, 0, nullptr), lioncubSuccess);
  struct Bad {
    const char* what;
    void (*edit)(lioncubLionConfig_t*);
    lioncubDataType_t dtype;
  };
  const Bad bad[] = {
      {"beta1 = 1", [](lioncubLionConfig_t* c) { c->beta1 = 1.0f; }, lioncubFloat32},
      {"beta2 < 0", [](lioncubLionConfig_t* c) { c->beta2 = -0.1f; }, lioncubFloat32},
      {"lr < 0", [](lioncubLionConfig_t* c) { c->lr = -1e-3f; }, lioncubFloat32},
      {"wd < 0", [](lioncubLionConfig_t* c) { c->weightDecay = -1.0f; }, lioncubFloat32},
      {"bucket 0", [](lioncubLionConfig_t* c) { c->bucketBytes = 0; }, lioncubFloat32},
      {"fp16", [](lioncubLionConfig_t*) {}, lioncubFloat16},
      {"mean", [](lioncubLionConfig_t* c) { c->algorithm = lioncubAlgoMean; }, lioncubFloat32},
      {"quant2 with sign", [](lioncubLionConfig_t* c) { c->algorithm = lioncubAlgoQuant2Rs; }, lioncubFloat32},
      {"block 48", [](lioncubLionConfig_t* c) { c->ternaryBlock = 48; }, lioncubFloat32},
      {"every 0", [](lioncubLionConfig_t* c) { c->momentumSync = lioncubSyncEvery; c->momentumSyncEvery = 0; },
       lioncubFloat32},
  };
  for (const Bad& b : bad) {
    lioncubLionConfig_t cfg = base_config();
    b.edit(&cfg);
    lioncubLion_t opt = nullptr;
    EXPECT_EQ(lioncubLionCreate(&opt, comm, 100, b.dtype, &cfg), lioncubInvalidArgument) << b.what;
    EXPECT_EQ(opt, nullptr);
    EXPECT_STRNE(lioncubGetLastErrorMessage(), "") << b.what;
  }
  lioncubCommDestroy(comm);
}

// ---- P ranks --------------------------------------------------------------------------------

struct Variant {
  std::vector<size_t> tensors;  // one entry: a flat buffer through lioncubLionStep
  size_t bucket_elements;
  lioncubTiePolicy_t tie;
};

struct Algo {
  lioncubAlgorithm_t algo;
  lioncubCode_t code;
  float alpha;
};

// Runs `steps` steps of one configuration on this rank, checking params (and this rank's
// momentum) against the reference after each; "" when all match.
std::string run_against_reference(lioncubComm_t comm, int P, int rank, const Algo& a, const Variant& v,
                                  int steps, uint64_t seed) {
  lioncubLionConfig_t cfg = base_config();
  cfg.algorithm = a.algo;
  cfg.code = a.code;
  cfg.ternaryAlpha = a.alpha;
  cfg.ternaryBlock = 64;
  cfg.tie = v.tie;
  cfg.bucketBytes = v.bucket_elements * 4;
  lioncubLion_t opt = nullptr;
  lioncubResult_t rc = lioncubLionCreateTensors(&opt, comm, int(v.tensors.size()), v.tensors.data(),
                                                lioncubFloat32, &cfg);
  if (rc != lioncubSuccess) return "create: " + describe(rc);
  size_t N = 0;
  for (size_t s : v.tensors) N += s;
  Reference ref{P, v.tensors, cfg, std::vector<float>(N), std::vector<std::vector<float>>(size_t(P), std::vector<float>(N, 0.0f))};
  // Separate allocations per tensor (unaligned boundaries in the flat space) unless flat.
  std::vector<std::vector<float>> p(v.tensors.size()), m(v.tensors.size()), g(v.tensors.size());
  for (size_t t = 0, off = 0; t < v.tensors.size(); off += v.tensors[t], ++t) {
    p[t].resize(v.tensors[t]);
    m[t].assign(v.tensors[t], 0.0f);
    g[t].resize(v.tensors[t]);
    for (size_t i = 0; i < v.tensors[t]; ++i) p[t][i] = ref.params[off + i] = initial_param(off + i);
  }
  std::string err;
  for (int step = 0; step < steps && err.empty(); ++step) {
    std::vector<std::vector<float>> grads(static_cast<size_t>(P), std::vector<float>(N));
    for (int r = 0; r < P; ++r) {
      for (size_t i = 0; i < N; ++i) grads[size_t(r)][i] = dyadic_grad(seed, r, uint64_t(step), i);
    }
    std::vector<void*> pp;
    std::vector<const void*> gp;
    std::vector<void*> mp;
    for (size_t t = 0, off = 0; t < v.tensors.size(); off += v.tensors[t], ++t) {
      std::memcpy(g[t].data(), grads[size_t(rank)].data() + off, v.tensors[t] * 4);
      pp.push_back(p[t].data());
      gp.push_back(g[t].data());
      mp.push_back(m[t].data());
    }
    rc = v.tensors.size() == 1 ? lioncubLionStep(opt, pp[0], gp[0], mp[0], nullptr)
                               : lioncubLionStepTensors(opt, pp.data(), gp.data(), mp.data(), nullptr);
    if (rc != lioncubSuccess) {
      err = "step " + std::to_string(step) + ": " + describe(rc);
      break;
    }
    ref.step(grads);
    std::vector<float> gotp, gotm;
    for (size_t t = 0; t < v.tensors.size(); ++t) {
      gotp.insert(gotp.end(), p[t].begin(), p[t].end());
      gotm.insert(gotm.end(), m[t].begin(), m[t].end());
    }
    err = mismatch("params", gotp, ref.params);
    if (err.empty()) err = mismatch("momentum", gotm, ref.momentum[size_t(rank)]);
    if (!err.empty()) err = "step " + std::to_string(step) + ": " + err;
    lioncubLionStats_t st{};
    lioncubLionGetStats(opt, &st);
    if (err.empty() && (st.bytesSent == 0 || st.nonFinite != 0 || st.momentumSynced != 0)) err = "stats";
  }
  lioncubLionDestroy(opt);
  return err;
}

struct Case {
  int P;
  Algo algo;
  const char* name;
};

class LionRanks : public testing::TestWithParam<Case> {};

TEST_P(LionRanks, EveryStepEqualsReferenceOnEveryRank) {
  const Case c = GetParam();
  const std::vector<Variant> variants = {
      {{1000}, 64, lioncubTieZero},
      {{1000}, 96, lioncubTieAlternate},           // 96 does not divide 1000
      {{1000}, 1 << 20, lioncubTieZero},           // one bucket
      {{100, 37, 500, 363}, 96, lioncubTieZero},   // tensors at unaligned offsets
  };
  const auto errors = run_with_comms(c.P, [&](int rank, lioncubComm_t comm) -> std::string {
    std::string err;
    for (size_t k = 0; k < variants.size() && err.empty(); ++k) {
      err = run_against_reference(comm, c.P, rank, c.algo, variants[k], 20, 11 + k);
      if (!err.empty()) err = "variant " + std::to_string(k) + ": " + err;
    }
    return err;
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

std::vector<Case> cases() {
  const std::vector<std::pair<Algo, const char*>> algos = {
      {{lioncubAlgoFull, lioncubCodeSign, 0.0f}, "full"},
      {{lioncubAlgoAllgatherVote, lioncubCodeSign, 0.0f}, "allgather_vote"},
      {{lioncubAlgoAlltoallVote, lioncubCodeSign, 0.0f}, "alltoall_vote"},
      {{lioncubAlgoQuant2Rs, lioncubCodeTernary, 0.5f}, "quant2_rs"},
      {{lioncubAlgoPackedSum, lioncubCodeSign, 0.0f}, "packed_sum"},
      {{lioncubAlgoPackedSum, lioncubCodeTernary, 0.0f}, "packed_sum_ternary"},
      {{lioncubAlgoAuto, lioncubCodeSign, 0.0f}, "auto"},
  };
  std::vector<Case> out;
  for (int P : {2, 3, 4, 8}) {
    for (const auto& a : algos) out.push_back(Case{P, a.first, a.second});
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(All, LionRanks, testing::ValuesIn(cases()),
                         [](const testing::TestParamInfo<Case>& i) {
                           return std::string(i.param.name) + "_P" + std::to_string(i.param.P);
                         });

// ---- Momentum sync, save/restore, non-finite, agreement -------------------------------------

// FNV-1a of a float vector, for comparing ranks through files.
uint64_t digest(const std::vector<float>& v) {
  uint64_t h = 1469598103934665603ull;
  const auto* b = reinterpret_cast<const unsigned char*>(v.data());
  for (size_t i = 0; i < v.size() * 4; ++i) h = (h ^ b[i]) * 1099511628211ull;
  return h;
}

std::string temp_dir() {
  char tmpl[] = "/tmp/lioncub-opt-XXXXXX";
  const char* d = ::mkdtemp(tmpl);
  return d ? d : "/tmp";
}

struct SyncCase {
  const char* name;
  lioncubMomentumSync_t mode;
  uint32_t every;
  float k;
  std::vector<int> chosen;       // tensors; empty: all
  std::vector<int> fire_steps;   // expected, over 12 steps
};

class LionSync : public testing::TestWithParam<SyncCase> {};

TEST_P(LionSync, FiresOnScheduleAndLeavesIdenticalMomentum) {
  const SyncCase sc = GetParam();
  const int P = 3, steps = 12;
  const std::vector<size_t> sizes = {100, 37, 500, 363};
  const size_t N = 1000;
  const std::string dir = temp_dir();
  const auto errors = run_with_comms(P, [&](int rank, lioncubComm_t comm) -> std::string {
    lioncubResult_t rc = lioncubSuccess;
    lioncubLionConfig_t cfg = base_config();
    cfg.algorithm = lioncubAlgoAlltoallVote;
    cfg.bucketBytes = 96 * 4;
    cfg.momentumSync = sc.mode;
    cfg.momentumSyncEvery = sc.every;
    cfg.momentumSyncExpK = sc.k;
    cfg.momentumSyncTensors = sc.chosen.empty() ? nullptr : sc.chosen.data();
    cfg.numMomentumSyncTensors = int(sc.chosen.size());
    lioncubLion_t opt = nullptr;
    rc = lioncubLionCreateTensors(&opt, comm, 4, sizes.data(), lioncubFloat32, &cfg);
    if (rc != lioncubSuccess) return "create: " + describe(rc);
    std::vector<char> synced(N, 0);
    for (size_t t = 0, off = 0; t < sizes.size(); off += sizes[t], ++t) {
      bool chosen = sc.chosen.empty();
      for (int x : sc.chosen) chosen |= size_t(x) == t;
      for (size_t i = 0; i < sizes[t]; ++i) synced[off + i] = chosen;
    }
    Reference ref{P, sizes, cfg, std::vector<float>(N), std::vector<std::vector<float>>(size_t(P), std::vector<float>(N, 0.0f))};
    std::vector<float> p(N), m(N, 0.0f), g(N);
    for (size_t i = 0; i < N; ++i) p[i] = ref.params[i] = initial_param(i);
    std::ofstream out(dir + "/rank" + std::to_string(rank));
    std::string err;
    for (int step = 0; step < steps && err.empty(); ++step) {
      std::vector<std::vector<float>> grads(static_cast<size_t>(P), std::vector<float>(N));
      for (int r = 0; r < P; ++r) {
        for (size_t i = 0; i < N; ++i) grads[size_t(r)][i] = dyadic_grad(5, r, uint64_t(step), i);
      }
      g = grads[size_t(rank)];
      rc = lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr);
      if (rc != lioncubSuccess) return "step: " + describe(rc);
      ref.step(grads);
      lioncubLionStats_t st{};
      lioncubLionGetStats(opt, &st);
      bool want = false;
      for (int s : sc.fire_steps) want |= s == step;
      if (st.momentumSynced != int(want)) return "step " + std::to_string(step) + ": momentumSynced";
      if (want) {  // the mean over ranks (ring order unknown here: within a few ulps), then adopt
        for (size_t i = 0; i < N; ++i) {
          if (!synced[i]) continue;
          double mean = 0, scale = 0;  // fp32 sums round relative to the terms, not the mean
          for (int r = 0; r < P; ++r) {
            mean += ref.momentum[size_t(r)][i];
            scale = std::max(scale, double(std::fabs(ref.momentum[size_t(r)][i])));
          }
          mean /= P;
          if (std::fabs(m[i] - mean) > 1e-6 * scale + 1e-30) {
            return "step " + std::to_string(step) + ": momentum[" + std::to_string(i) + "] = " +
                   std::to_string(m[i]) + " is not the mean " + std::to_string(mean);
          }
          for (int r = 0; r < P; ++r) ref.momentum[size_t(r)][i] = m[i];
        }
      }
      err = mismatch("params", p, ref.params);
      if (err.empty()) err = mismatch("momentum", m, ref.momentum[size_t(rank)]);
      if (!err.empty()) return "step " + std::to_string(step) + ": " + err;
      std::vector<float> ms;
      for (size_t i = 0; i < N; ++i) ms.push_back(synced[i] ? m[i] : 0.0f);
      out << step << " " << want << " " << digest(p) << " " << (want ? digest(ms) : 0) << "\n";
    }
    lioncubLionDestroy(opt);
    return "";
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
  auto slurp = [&](int r) {
    std::ifstream in(dir + "/rank" + std::to_string(r));
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  };
  const std::string r0 = slurp(0);
  EXPECT_FALSE(r0.empty());
  for (int r = 1; r < P; ++r) EXPECT_EQ(slurp(r), r0) << "rank " << r << " differs from rank 0";
  for (int r = 0; r < P; ++r) std::remove((dir + "/rank" + std::to_string(r)).c_str());
  ::rmdir(dir.c_str());
}

INSTANTIATE_TEST_SUITE_P(
    Schedules, LionSync,
    testing::Values(SyncCase{"never", lioncubSyncNever, 1, 1.0f, {}, {}},
                    SyncCase{"every3", lioncubSyncEvery, 3, 1.0f, {}, {2, 5, 8, 11}},
                    SyncCase{"exponential_k2", lioncubSyncExponential, 1, 2.0f, {}, {0, 1, 3, 5, 8}},
                    SyncCase{"every2_tensors_1_3", lioncubSyncEvery, 2, 1.0f, {1, 3}, {1, 3, 5, 7, 9, 11}}),
    [](const testing::TestParamInfo<SyncCase>& i) { return std::string(i.param.name); });

// Steps 0..19 in one go, against 0..9, save, a new optimizer, load, 10..19: identical.
TEST(LionState, SaveRestoreContinuesIdentically) {
  const int P = 2;
  const size_t N = 777;
  const auto errors = run_with_comms(P, [&](int rank, lioncubComm_t comm) -> std::string {
    lioncubResult_t rc = lioncubSuccess;
    lioncubLionConfig_t cfg = base_config();
    cfg.algorithm = lioncubAlgoAlltoallVote;
    cfg.tie = lioncubTieAlternate;  // even P: ties happen, the toggle matters
    cfg.bucketBytes = 256 * 4;
    cfg.momentumSync = lioncubSyncExponential;
    cfg.momentumSyncExpK = 1.0f;  // 0, 1, 3, 7, 15
    auto grads = [&](int step) {
      std::vector<float> g(N);
      for (size_t i = 0; i < N; ++i) g[i] = dyadic_grad(9, rank, uint64_t(step), i);
      return g;
    };
    auto lr_at = [](int step) { return 0.01f / float(1 + step); };
    std::vector<std::vector<float>> want_p;
    std::vector<int> want_sync;
    {
      lioncubLion_t opt = nullptr;
      if ((rc = lioncubLionCreate(&opt, comm, N, lioncubFloat32, &cfg)) != lioncubSuccess) return "create: " + describe(rc);
      std::vector<float> p(N), m(N, 0.0f);
      for (size_t i = 0; i < N; ++i) p[i] = initial_param(i);
      for (int s = 0; s < 20; ++s) {
        lioncubLionSetLr(opt, lr_at(s));
        const auto g = grads(s);
        if ((rc = lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr)) != lioncubSuccess) return describe(rc);
        lioncubLionStats_t st{};
        lioncubLionGetStats(opt, &st);
        want_p.push_back(p);
        want_sync.push_back(st.momentumSynced);
      }
      lioncubLionDestroy(opt);
    }
    std::vector<float> p(N), m(N, 0.0f);
    std::vector<char> state;
    {
      lioncubLion_t opt = nullptr;
      if ((rc = lioncubLionCreate(&opt, comm, N, lioncubFloat32, &cfg)) != lioncubSuccess) return "create: " + describe(rc);
      for (size_t i = 0; i < N; ++i) p[i] = initial_param(i);
      for (int s = 0; s < 10; ++s) {
        lioncubLionSetLr(opt, lr_at(s));
        const auto g = grads(s);
        if ((rc = lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr)) != lioncubSuccess) return describe(rc);
      }
      size_t bytes = 0;
      lioncubLionStateSize(opt, &bytes);
      state.resize(bytes);
      if ((rc = lioncubLionSaveState(opt, state.data(), bytes)) != lioncubSuccess) return describe(rc);
      lioncubLionDestroy(opt);
    }
    {
      lioncubLionConfig_t other = cfg;
      other.lr = 0.5f;  // the saved lr wins
      lioncubLion_t opt = nullptr;
      if ((rc = lioncubLionCreate(&opt, comm, N, lioncubFloat32, &other)) != lioncubSuccess) return "create: " + describe(rc);
      if ((rc = lioncubLionLoadState(opt, state.data(), state.size())) != lioncubSuccess) return "load: " + describe(rc);
      for (int s = 10; s < 20; ++s) {
        lioncubLionSetLr(opt, lr_at(s));
        const auto g = grads(s);
        if ((rc = lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr)) != lioncubSuccess) return describe(rc);
        lioncubLionStats_t st{};
        lioncubLionGetStats(opt, &st);
        if (st.step != uint64_t(s) || st.momentumSynced != want_sync[size_t(s)]) return "stats after restore";
        const std::string e = mismatch("params", p, want_p[size_t(s)]);
        if (!e.empty()) return "step " + std::to_string(s) + ": " + e;
      }
      lioncubLionDestroy(opt);
    }
    {  // a state of another size is refused
      lioncubLion_t opt = nullptr;
      if ((rc = lioncubLionCreate(&opt, comm, N + 1, lioncubFloat32, &cfg)) != lioncubSuccess) return "create: " + describe(rc);
      rc = lioncubLionLoadState(opt, state.data(), state.size());
      lioncubLionDestroy(opt);
      if (rc != lioncubInvalidArgument) return "a foreign state was accepted";
    }
    return "";
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

// A NaN gradient on one rank: every rank reports it, parameters stay finite and follow the
// reference (the element abstains on that rank).
TEST(LionNonFinite, NanGradientRaisesTheFlagOnEveryRank) {
  for (int P : {1, 2}) {
    for (Algo a : {Algo{lioncubAlgoQuant2Rs, lioncubCodeTernary, 0.0f}, Algo{lioncubAlgoFull, lioncubCodeSign, 0.0f},
                   Algo{lioncubAlgoAlltoallVote, lioncubCodeSign, 0.0f}}) {
      const size_t N = 300;
      const auto errors = run_with_comms(P, [&](int rank, lioncubComm_t comm) -> std::string {
        lioncubResult_t rc = lioncubSuccess;
        lioncubLionConfig_t cfg = base_config();
        cfg.algorithm = a.algo;
        cfg.code = a.code;
        cfg.bucketBytes = 128 * 4;
        lioncubLion_t opt = nullptr;
        if ((rc = lioncubLionCreate(&opt, comm, N, lioncubFloat32, &cfg)) != lioncubSuccess) return describe(rc);
        Reference ref{P, {N}, cfg, std::vector<float>(N), std::vector<std::vector<float>>(size_t(P), std::vector<float>(N, 0.0f))};
        std::vector<float> p(N), m(N, 0.0f);
        for (size_t i = 0; i < N; ++i) p[i] = ref.params[i] = initial_param(i);
        for (int step = 0; step < 6; ++step) {
          std::vector<std::vector<float>> grads(static_cast<size_t>(P), std::vector<float>(N));
          for (int r = 0; r < P; ++r) {
            for (size_t i = 0; i < N; ++i) grads[size_t(r)][i] = dyadic_grad(3, r, uint64_t(step), i);
          }
          const bool bad = step == 2 || step == 4;
          if (bad) grads[size_t(P - 1)][200] = step == 2 ? NAN : INFINITY;
          std::vector<float> g = grads[size_t(rank)];
          if ((rc = lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr)) != lioncubSuccess) return describe(rc);
          ref.step(grads);
          lioncubLionStats_t st{};
          lioncubLionGetStats(opt, &st);
          const std::string where = std::string(lioncubAlgorithmName(a.algo)) + " P=" + std::to_string(P) +
                                    " step " + std::to_string(step) + ": ";
          if (st.nonFinite != int(bad)) return where + "nonFinite = " + std::to_string(st.nonFinite);
          for (float x : p) {
            if (!finite(x)) return where + "a parameter is not finite";
          }
          for (float x : m) {
            if (!finite(x)) return where + "a momentum is not finite";
          }
          const std::string e = mismatch("params", p, ref.params);
          if (!e.empty()) return where + e;
        }
        lioncubLionDestroy(opt);
        return "";
      });
      for (const auto& e : errors) EXPECT_EQ(e, "");
    }
  }
}

// Every rank's create fails with lioncubInvalidArgument and a message holding each of `want`,
// when edit(rank, &numel, &cfg) makes the ranks disagree.
void expect_create_rejected(int P, const std::function<void(int, size_t*, lioncubLionConfig_t*)>& edit,
                            const std::vector<std::string>& want) {
  const std::string rdv = loopback(free_port());
  const auto errors = run_all(P, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    lioncubResult_t rc = lioncubCommInitHost(&comm, P, rank, rdv.c_str());
    if (rc != lioncubSuccess) return "init: " + describe(rc);
    lioncubLionConfig_t cfg = base_config();
    size_t numel = 1000;
    edit(rank, &numel, &cfg);
    lioncubLion_t opt = nullptr;
    rc = lioncubLionCreate(&opt, comm, numel, lioncubFloat32, &cfg);
    const std::string msg = lioncubGetLastErrorMessage();
    lioncubCommDestroy(comm);
    if (rc != lioncubInvalidArgument || opt != nullptr) return "create returned " + std::to_string(rc);
    for (const std::string& w : want) {
      if (msg.find(w) == std::string::npos) return "message: " + msg + " (want: " + w + ")";
    }
    return "";
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

TEST(LionAgreement, NumelThatDiffersBetweenRanksIsRejectedOnEveryRank) {
  expect_create_rejected(3, [](int rank, size_t* numel, lioncubLionConfig_t*) { if (rank == 2) *numel = 1001; },
                         {"numel differs", "rank 2"});
}


// The flag is summed as an integer: with flush-to-zero and denormals-are-zero set on every rank
// (what -ffast-math or torch.set_flush_denormal do to a process), a NaN step still reports
// nonFinite on every rank. A flag carried as the bits of a subnormal float would read as 0 here.
TEST(LionNonFinite, FlagSurvivesFlushToZeroAndDenormalsAreZero) {
#ifndef LIONCUB_TEST_MXCSR
  GTEST_SKIP() << "sets FTZ/DAZ through the x86 MXCSR";
#else
  const int P = 3;
  const size_t N = 257;
  const std::string rdv = loopback(free_port());
  const auto errors = run_all(P, [&](int rank) -> std::string {
    _mm_setcsr(_mm_getcsr() | 0x8040u);  // FTZ (bit 15) | DAZ (bit 6)
    volatile float tiny = 1e-45f;        // check the mode took: a subnormal input reads as 0
    if (tiny * 1.0f != 0.0f) return "FTZ/DAZ did not take effect";
    lioncubComm_t comm = nullptr;
    lioncubResult_t rc = lioncubCommInitHost(&comm, P, rank, rdv.c_str());
    if (rc != lioncubSuccess) return "init: " + describe(rc);
    lioncubLionConfig_t cfg = base_config();
    cfg.algorithm = lioncubAlgoAlltoallVote;
    cfg.bucketBytes = 64 * 4;
    lioncubLion_t opt = nullptr;
    if ((rc = lioncubLionCreate(&opt, comm, N, lioncubFloat32, &cfg)) != lioncubSuccess) return describe(rc);
    std::vector<float> p(N, 1.0f), m(N, 0.0f), g(N);
    for (int step = 0; step < 3; ++step) {
      for (size_t i = 0; i < N; ++i) g[i] = dyadic_grad(5, rank, uint64_t(step), i);
      const bool bad = step == 1;
      if (bad && rank == 1) g[N - 1] = NAN;
      if ((rc = lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr)) != lioncubSuccess) return describe(rc);
      lioncubLionStats_t st{};
      lioncubLionGetStats(opt, &st);
      if (st.nonFinite != int(bad)) {
        return "step " + std::to_string(step) + ": nonFinite = " + std::to_string(st.nonFinite);
      }
    }
    lioncubLionDestroy(opt);
    lioncubCommDestroy(comm);
    return "";
  });
  for (const auto& e : errors) EXPECT_EQ(e, "");
#endif
}

TEST(LionAgreement, LrThatDiffersIsNamedWithBothValues) {
  expect_create_rejected(2, [](int rank, size_t*, lioncubLionConfig_t* cfg) { if (rank == 1) cfg->lr = 0.5f; },
                         {"lr differs between ranks: rank 0 has 0.00999999978, rank 1 has 0.5"});
}

// The optimizer checks its ranks at create through the backend: the communicator's first-call
// argument check is left for the user's own first collective, which still catches a mismatch
// with an error instead of a hang.
TEST(LionAgreement, FirstUserCollectiveAfterCreateIsStillChecked) {
  const int P = 2;
  const std::string rdv = loopback(free_port());
  const auto errors = run_all(P, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    lioncubResult_t rc = lioncubCommInitHost(&comm, P, rank, rdv.c_str());
    if (rc != lioncubSuccess) return "init: " + describe(rc);
    lioncubLionConfig_t cfg = base_config();
    lioncubLion_t opt = nullptr;
    if ((rc = lioncubLionCreate(&opt, comm, 1000, lioncubFloat32, &cfg)) != lioncubSuccess) return describe(rc);
    std::vector<float> p(1000, 1.0f), m(1000, 0.0f), g(1000, 0.25f);
    if ((rc = lioncubLionStep(opt, p.data(), g.data(), m.data(), nullptr)) != lioncubSuccess) return describe(rc);
    lioncubLionDestroy(opt);
    std::vector<float> x(64, 1.0f);
    rc = lioncubAllreduce(comm, lioncubAlgoFull, x.data(), x.data(), rank == 0 ? 64 : 63, lioncubFloat32,
                          lioncubSum, nullptr, nullptr);
    const std::string msg = lioncubGetLastErrorMessage();
    lioncubCommDestroy(comm);
    if (rc != lioncubInvalidUsage) return "allreduce returned " + std::to_string(rc) + ": " + msg;
    if (msg.find("ranks disagree") == std::string::npos) return "message: " + msg;
    return "";
  }, 60.0);
  for (const auto& e : errors) EXPECT_EQ(e, "");
}

}  // namespace
}  // namespace lioncub::test
