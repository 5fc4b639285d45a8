// packed-sum lanes (lioncubLanePack / lioncubLaneResolve / lioncubLaneBits) against a scalar
// reference written here: each element's lane value is placed bit by bit at w*i, lanes of many
// codes are summed byte by byte as an integer allreduce would, and the resolved planes are
// compared with the per-element majority or ternary sign. GPU vs CPU tests skip without a GPU.
#include "test_util.h"

#if defined(LIONCUB_HAVE_CUDA)
#include <cuda_runtime.h>
#endif

namespace lioncub::test {
namespace {

struct Code {
  std::vector<uint32_t> sign, nonzero;
  std::vector<int> v;  // per element: 0/1 (sign code) or -1/0/+1 (ternary)
};

Code random_code(std::mt19937_64& rng, size_t n, bool ternary) {
  Code c{std::vector<uint32_t>(words_of(n)), std::vector<uint32_t>(words_of(n)), std::vector<int>(n)};
  for (size_t i = 0; i < n; ++i) {
    const int v = ternary ? int(rng() % 3) - 1 : int(rng() & 1u);
    c.v[i] = v;
    if (ternary ? v > 0 : v == 1) c.sign[i / 32] |= 1u << (i % 32);
    if (v != 0) c.nonzero[i / 32] |= 1u << (i % 32);
  }
  // Stray sign bits on zero ternary elements must not count.
  if (ternary) {
    for (size_t i = 0; i < n; i += 7) {
      if (c.v[i] == 0) c.sign[i / 32] |= 1u << (i % 32);
    }
  }
  return c;
}

// Lanes of a code by definition: value (bit or v+1) written bit by bit at bit w*i.
std::vector<uint32_t> ref_lanes(const Code& c, bool ternary, int w) {
  std::vector<uint32_t> out(words_of(c.v.size()) * w, 0);
  for (size_t i = 0; i < c.v.size(); ++i) {
    const uint32_t value = ternary ? uint32_t(c.v[i] + 1) : uint32_t(c.v[i]);
    for (int b = 0; b < w; ++b) {
      const size_t bit = i * w + b;
      if ((value >> b) & 1u) out[bit / 32] |= 1u << (bit % 32);
    }
  }
  return out;
}

// The expected u per element from all codes.
int ref_result(const std::vector<Code>& codes, bool ternary, size_t i, lioncubTiePolicy_t tie,
               uint64_t step) {
  int score = 0;
  for (const Code& c : codes) score += ternary ? c.v[i] : (c.v[i] ? 1 : -1);
  if (score != 0) return score > 0 ? 1 : -1;
  if (tie == lioncubTieZero) return 0;
  return step % 2 == 0 ? 1 : -1;
}

TEST(Lanes, BitsByCount) {
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 1), 2);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 3), 2);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 4), 4);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 15), 4);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 16), 8);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 255), 8);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 256), 0);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeTernary, 1), 2);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeTernary, 2), 4);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeTernary, 7), 4);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeTernary, 8), 8);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeTernary, 127), 8);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeTernary, 128), 0);
  EXPECT_EQ(lioncubLaneBits(lioncubCodeSign, 0), 0);
}

TEST(Lanes, PackMatchesReference) {
  auto rng = rng_for_test();
  for (bool ternary : {false, true}) {
    for (int w : {2, 4, 8}) {
      for (size_t n : odd_sizes()) {
        SCOPED_TRACE(testing::Message() << "ternary " << ternary << " w " << w << " n " << n);
        const Code c = random_code(rng, n, ternary);
        std::vector<uint32_t> lanes(words_of(n) * w + 4, 0xa5a5a5a5u);
        ASSERT_EQ(lioncubLanePack(ternary ? lioncubCodeTernary : lioncubCodeSign, c.sign.data(),
                                  ternary ? c.nonzero.data() : nullptr, n, w, lanes.data(),
                                  lioncubMemHost, nullptr),
                  lioncubSuccess)
            << lioncubGetLastErrorMessage();
        const std::vector<uint32_t> want = ref_lanes(c, ternary, w);
        for (size_t k = 0; k < want.size(); ++k) ASSERT_EQ(lanes[k], want[k]) << "word " << k;
        EXPECT_EQ(lanes[want.size()], 0xa5a5a5a5u) << "wrote past the lanes";
      }
    }
  }
}

// Pack P codes, sum the lane bytes as uint8 (what the allreduce does), resolve, compare.
TEST(Lanes, SumAndResolveMatchesMajority) {
  auto rng = rng_for_test();
  for (bool ternary : {false, true}) {
    for (int P : {1, 2, 3, 4, 5, 7, 8, 15, 16, 33, 127}) {
      const lioncubCode_t code = ternary ? lioncubCodeTernary : lioncubCodeSign;
      const int w = lioncubLaneBits(code, P);
      if (w == 0) continue;
      for (size_t n : {size_t(0), size_t(1), size_t(31), size_t(33), size_t(1000), size_t(4099)}) {
        std::vector<Code> codes;
        std::vector<uint8_t> sum(words_of(n) * w * 4, 0);
        for (int r = 0; r < P; ++r) {
          codes.push_back(random_code(rng, n, ternary));
          std::vector<uint32_t> lanes(words_of(n) * w);
          ASSERT_EQ(lioncubLanePack(code, codes.back().sign.data(),
                                    ternary ? codes.back().nonzero.data() : nullptr, n, w,
                                    lanes.data(), lioncubMemHost, nullptr),
                    lioncubSuccess);
          const auto* bytes = reinterpret_cast<const uint8_t*>(lanes.data());
          for (size_t b = 0; b < sum.size(); ++b) sum[b] = uint8_t(sum[b] + bytes[b]);
        }
        for (lioncubTiePolicy_t tie : {lioncubTieZero, lioncubTieAlternate}) {
          for (uint64_t step : {uint64_t(0), uint64_t(1)}) {
            SCOPED_TRACE(testing::Message() << "ternary " << ternary << " P " << P << " n " << n
                                            << " tie " << tie << " step " << step);
            std::vector<uint32_t> sign(words_of(n) + 1, 0xa5a5a5a5u), nz(words_of(n) + 1, 0xa5a5a5a5u);
            std::vector<uint32_t> lanes(sum.size() / 4);
            if (!sum.empty()) std::memcpy(lanes.data(), sum.data(), sum.size());
            ASSERT_EQ(lioncubLaneResolve(code, lanes.data(), P, n, w, tie, step, sign.data(),
                                         nz.data(), lioncubMemHost, nullptr),
                      lioncubSuccess)
                << lioncubGetLastErrorMessage();
            for (size_t i = 0; i < n; ++i) {
              const int got = ref_bit(nz, i) ? (ref_bit(sign, i) ? 1 : -1) : 0;
              ASSERT_EQ(got, ref_result(codes, ternary, i, tie, step)) << "element " << i;
            }
            if (n % 32) {
              EXPECT_EQ(sign[n / 32] >> (n % 32), 0u) << "pad bits";
              EXPECT_EQ(nz[n / 32] >> (n % 32), 0u) << "pad bits";
            }
            EXPECT_EQ(sign[words_of(n)], 0xa5a5a5a5u);
            EXPECT_EQ(nz[words_of(n)], 0xa5a5a5a5u);
          }
        }
      }
    }
  }
}

TEST(Lanes, BadArguments) {
  std::vector<uint32_t> a(64), l(64 * 8 + 4);
  uint32_t* lanes = l.data() + (reinterpret_cast<uintptr_t>(l.data()) % 16 ? (16 - reinterpret_cast<uintptr_t>(l.data()) % 16) / 4 : 0);
  EXPECT_EQ(lioncubLanePack(lioncubCodeSign, a.data(), nullptr, 64, 3, lanes, lioncubMemHost, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubLanePack(lioncubCodeTernary, a.data(), nullptr, 64, 4, lanes, lioncubMemHost, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubLanePack(lioncubCodeSign, nullptr, nullptr, 64, 4, lanes, lioncubMemHost, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubLanePack(lioncubCodeSign, a.data(), nullptr, 64, 4, lanes + 1, lioncubMemHost, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubLanePack(lioncubCodeSign, nullptr, nullptr, 0, 4, nullptr, lioncubMemHost, nullptr),
            lioncubSuccess);
  // 4 sign codes overflow 2-bit lanes; 8 ternary codes overflow 4-bit lanes.
  EXPECT_EQ(lioncubLaneResolve(lioncubCodeSign, lanes, 4, 64, 2, lioncubTieAlternate, 0, a.data(),
                               nullptr, lioncubMemHost, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubLaneResolve(lioncubCodeTernary, lanes, 8, 64, 4, lioncubTieAlternate, 0, a.data(),
                               nullptr, lioncubMemHost, nullptr),
            lioncubInvalidArgument);
  // Zeros possible (tie zero, even count) without nonzeroOut.
  EXPECT_EQ(lioncubLaneResolve(lioncubCodeSign, lanes, 2, 64, 2, lioncubTieZero, 0, a.data(), nullptr,
                               lioncubMemHost, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubLaneResolve(lioncubCodeSign, lanes, 3, 64, 2, lioncubTieZero, 0, a.data(), nullptr,
                               lioncubMemHost, nullptr),
            lioncubSuccess);
  EXPECT_STRNE(lioncubGetLastErrorMessage(), "");
}

#if defined(LIONCUB_HAVE_CUDA)

class GpuLanesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (lioncubCudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  }
};

template <class T>
T* to_device(const std::vector<T>& h) {
  void* p = nullptr;
  if (cudaMalloc(&p, std::max<size_t>(1, h.size()) * sizeof(T)) != cudaSuccess) return nullptr;
  if (!h.empty()) cudaMemcpy(p, h.data(), h.size() * sizeof(T), cudaMemcpyHostToDevice);
  return static_cast<T*>(p);
}

template <class T>
std::vector<T> to_host(const T* d, size_t n) {
  std::vector<T> h(n);
  if (n) cudaMemcpy(h.data(), d, n * sizeof(T), cudaMemcpyDeviceToHost);
  return h;
}

TEST_F(GpuLanesTest, PackAndResolveMatchCpu) {
  auto rng = rng_for_test();
  for (bool ternary : {false, true}) {
    const lioncubCode_t code = ternary ? lioncubCodeTernary : lioncubCodeSign;
    for (int w : {2, 4, 8}) {
      for (size_t n : odd_sizes()) {
        SCOPED_TRACE(testing::Message() << "ternary " << ternary << " w " << w << " n " << n);
        const Code c = random_code(rng, n, ternary);
        const size_t L = words_of(n) * w;
        std::vector<uint32_t> cpu_lanes(L);
        ASSERT_EQ(lioncubLanePack(code, c.sign.data(), c.nonzero.data(), n, w, cpu_lanes.data(),
                                  lioncubMemHost, nullptr),
                  lioncubSuccess);
        uint32_t* ds = to_device(c.sign);
        uint32_t* dn = to_device(c.nonzero);
        uint32_t* dl = to_device(std::vector<uint32_t>(L, 0xa5a5a5a5u));
        ASSERT_EQ(lioncubLanePack(code, ds, dn, n, w, dl, lioncubMemDevice, nullptr), lioncubSuccess)
            << lioncubGetLastErrorMessage();
        EXPECT_EQ(to_host(dl, L), cpu_lanes);
        // Random summed lanes (every lane value below the largest legal sum) resolved both ways.
        const int P = ternary ? ((1 << w) - 1) / 2 : (1 << w) - 1;
        std::vector<uint32_t> sums(L, 0);
        for (size_t i = 0; i < n; ++i) {
          const uint32_t v = uint32_t(rng() % uint32_t((ternary ? 2 * P : P) + 1));
          for (int b = 0; b < w; ++b) {
            if ((v >> b) & 1u) sums[(i * w + b) / 32] |= 1u << ((i * w + b) % 32);
          }
        }
        cudaMemcpy(dl, sums.data(), L * 4, cudaMemcpyHostToDevice);
        for (lioncubTiePolicy_t tie : {lioncubTieZero, lioncubTieAlternate}) {
          std::vector<uint32_t> cs(words_of(n)), cn(words_of(n));
          ASSERT_EQ(lioncubLaneResolve(code, sums.data(), P, n, w, tie, 3, cs.data(), cn.data(),
                                       lioncubMemHost, nullptr),
                    lioncubSuccess);
          ASSERT_EQ(lioncubLaneResolve(code, dl, P, n, w, tie, 3, ds, dn, lioncubMemDevice, nullptr),
                    lioncubSuccess)
              << lioncubGetLastErrorMessage();
          EXPECT_EQ(to_host(ds, words_of(n)), cs);
          EXPECT_EQ(to_host(dn, words_of(n)), cn);
        }
        ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
        cudaFree(ds);
        cudaFree(dn);
        cudaFree(dl);
      }
    }
  }
}

#else

TEST(GpuLanesTest, PackAndResolveMatchCpu) { GTEST_SKIP() << "this lioncub was built without CUDA"; }

#endif

}  // namespace
}  // namespace lioncub::test
