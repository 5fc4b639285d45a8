// The CUDA kernels against the CPU path, bit for bit. Skipped without a GPU.
#include "typed_buffer.h"

#if defined(LIONCUB_HAVE_CUDA)
#include <cuda_runtime.h>
#endif

namespace lioncub::test {
namespace {

#if defined(LIONCUB_HAVE_CUDA)

#define CUDA_OK(call) ASSERT_EQ((call), cudaSuccess) << #call

// A device copy of a host vector, freed on scope exit.
template <class T>
class DeviceVector {
 public:
  explicit DeviceVector(const std::vector<T>& host) : n_(host.size()) {
    if (cudaMalloc(&p_, std::max<size_t>(1, n_) * sizeof(T)) != cudaSuccess) p_ = nullptr;
    if (p_ && n_) cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice);
  }
  DeviceVector(const void* bytes, size_t nbytes) : n_(nbytes / sizeof(T)) {
    if (cudaMalloc(&p_, std::max<size_t>(1, nbytes)) != cudaSuccess) p_ = nullptr;
    if (p_ && nbytes) cudaMemcpy(p_, bytes, nbytes, cudaMemcpyHostToDevice);
  }
  ~DeviceVector() { cudaFree(p_); }
  DeviceVector(const DeviceVector&) = delete;
  DeviceVector& operator=(const DeviceVector&) = delete;
  T* get() { return p_; }
  std::vector<T> to_host() const {
    std::vector<T> h(n_);
    if (n_) cudaMemcpy(h.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost);
    return h;
  }

 private:
  size_t n_;
  T* p_ = nullptr;
};

class GpuTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (lioncubCudaDeviceCount() == 0) GTEST_SKIP() << "no CUDA device on this machine";
  }
};

TEST_F(GpuTest, EncodeMatchesCpu) {
  auto rng = rng_for_test();
  for (auto gt : {lioncubFloat32, lioncubBfloat16, lioncubFloat16}) {
    for (auto mt : {lioncubFloat32, lioncubBfloat16}) {
      for (auto code : {lioncubCodeSign, lioncubCodeTernary}) {
        for (size_t n : odd_sizes()) {
          SCOPED_TRACE(testing::Message() << "grad " << gt << " mom " << mt << " code " << code << " n " << n);
          TypedBuffer g(gt, n), m(mt, n);
          fill_random(g, rng);
          fill_random(m, rng);
          if (n > 40) g.set(37, gt == lioncubFloat16 ? 0.0f : NAN);  // a non-finite element where possible
          DeviceVector<uint8_t> dg(g.data(), g.bytes()), dm(m.data(), m.bytes());
          const size_t words = words_of(n);
          DeviceVector<uint32_t> ds{std::vector<uint32_t>(words, 0)}, dz{std::vector<uint32_t>(words, 0)};
          DeviceVector<int> dflag{std::vector<int>{0}};
          std::vector<uint32_t> s(words), z(words);
          int flag = 0;
          lioncubEncodeDesc_t d{n, gt, mt, 0.9f, 0.99f, code, 0.7f, 96};
          ASSERT_EQ(lioncubEncode(&d, dg.get(), dm.get(), ds.get(), dz.get(), dflag.get(), lioncubMemDevice, nullptr),
                    lioncubSuccess)
              << lioncubGetLastErrorMessage();
          ASSERT_EQ(lioncubEncode(&d, g.data(), m.data(), s.data(), z.data(), &flag, lioncubMemHost, nullptr),
                    lioncubSuccess);
          CUDA_OK(cudaDeviceSynchronize());
          EXPECT_EQ(ds.to_host(), s);
          if (code == lioncubCodeTernary) {
      EXPECT_EQ(dz.to_host(), z);
    }
          const auto mom = dm.to_host();
          EXPECT_EQ(0, std::memcmp(mom.data(), m.data(), m.bytes())) << "momentum differs";
          EXPECT_EQ(dflag.to_host()[0], flag);
        }
      }
    }
  }
}

TEST_F(GpuTest, VoteAndTernaryMatchCpu) {
  auto rng = rng_for_test();
  for (int nvec : {1, 2, 3, 7, 8, 16, 33, 64, 65, 1024}) {
    for (size_t n : odd_sizes()) {
      if (nvec > 65 && n > 1000) continue;
      SCOPED_TRACE(testing::Message() << "nvec " << nvec << " n " << n);
      const size_t stride = words_of(n) + 1, words = words_of(n);
      std::vector<uint32_t> a(stride * nvec), b(stride * nvec);
      for (auto& x : a) x = uint32_t(rng());
      for (auto& x : b) x = uint32_t(rng());
      for (int v = 0; v < nvec && n % 32; ++v) {  // pad bits zero, as the layout requires
        a[v * stride + words - 1] &= (1u << (n % 32)) - 1;
        b[v * stride + words - 1] &= (1u << (n % 32)) - 1;
      }
      DeviceVector<uint32_t> da(a), db(b), ds{std::vector<uint32_t>(words)}, dz{std::vector<uint32_t>(words)};
      DeviceVector<uint16_t> dc{std::vector<uint16_t>(n)};
      DeviceVector<int16_t> dsum{std::vector<int16_t>(n)};
      std::vector<uint32_t> s(words), z(words);
      std::vector<uint16_t> c(n);
      std::vector<int16_t> sum(n);
      for (auto tie : {lioncubTieZero, lioncubTieAlternate}) {
        ASSERT_EQ(lioncubVote(da.get(), stride, nvec, n, tie, 3, ds.get(), dz.get(), lioncubMemDevice, nullptr),
                  lioncubSuccess);
        ASSERT_EQ(lioncubVote(a.data(), stride, nvec, n, tie, 3, s.data(), z.data(), lioncubMemHost, nullptr),
                  lioncubSuccess);
        EXPECT_EQ(ds.to_host(), s);
        EXPECT_EQ(dz.to_host(), z);
        ASSERT_EQ(lioncubTernaryReencode(da.get(), db.get(), stride, nvec, n, tie, 2, ds.get(), dz.get(),
                                         lioncubMemDevice, nullptr),
                  lioncubSuccess);
        ASSERT_EQ(lioncubTernaryReencode(a.data(), b.data(), stride, nvec, n, tie, 2, s.data(), z.data(),
                                         lioncubMemHost, nullptr),
                  lioncubSuccess);
        EXPECT_EQ(ds.to_host(), s);
        EXPECT_EQ(dz.to_host(), z);
      }
      ASSERT_EQ(lioncubVoteCount(da.get(), stride, nvec, n, dc.get(), lioncubMemDevice, nullptr), lioncubSuccess);
      ASSERT_EQ(lioncubVoteCount(a.data(), stride, nvec, n, c.data(), lioncubMemHost, nullptr), lioncubSuccess);
      EXPECT_EQ(dc.to_host(), c);
      ASSERT_EQ(lioncubTernarySum(da.get(), db.get(), stride, nvec, n, dsum.get(), lioncubMemDevice, nullptr),
                lioncubSuccess);
      ASSERT_EQ(lioncubTernarySum(a.data(), b.data(), stride, nvec, n, sum.data(), lioncubMemHost, nullptr),
                lioncubSuccess);
      EXPECT_EQ(dsum.to_host(), sum);
    }
  }
}

TEST_F(GpuTest, ApplyMatchesCpu) {
  auto rng = rng_for_test();
  for (auto pt : {lioncubFloat32, lioncubBfloat16}) {
    for (size_t n : odd_sizes()) {
      TypedBuffer p(pt, n);
      fill_random(p, rng);
      std::vector<uint32_t> s(words_of(n)), z(words_of(n));
      for (auto& x : s) x = uint32_t(rng());
      for (auto& x : z) x = uint32_t(rng());
      std::vector<uint16_t> counts(n);
      std::vector<int16_t> sums(n);
      for (size_t i = 0; i < n; ++i) counts[i] = uint16_t(rng() % 9), sums[i] = int16_t(int(rng() % 17) - 8);
      DeviceVector<uint32_t> ds(s), dz(z);
      DeviceVector<uint16_t> dc(counts);
      DeviceVector<int16_t> dsum(sums);
      for (int kind = 0; kind < 3; ++kind) {
        TypedBuffer host = p;
        DeviceVector<uint8_t> dp(p.data(), p.bytes());
        lioncubUpdate_t hu{lioncubUpdateKind_t(kind), s.data(), z.data(), counts.data(), sums.data(), 8};
        lioncubUpdate_t du{lioncubUpdateKind_t(kind), ds.get(), dz.get(), dc.get(), dsum.get(), 8};
        ASSERT_EQ(lioncubApply(n, pt, dp.get(), &du, 0.003f, 0.1f, lioncubMemDevice, nullptr), lioncubSuccess);
        ASSERT_EQ(lioncubApply(n, pt, host.data(), &hu, 0.003f, 0.1f, lioncubMemHost, nullptr), lioncubSuccess);
        const auto got = dp.to_host();
        EXPECT_EQ(0, std::memcmp(got.data(), host.data(), host.bytes())) << "kind " << kind << " n " << n;
      }
    }
  }
}

// The vectorized and block-staged kernels take different paths by alignment (16-byte vectors or
// element by element), by alpha (0: the word kernel; > 0: a thread block per ternary block, over
// 48 KiB of shared memory at 16384) and by size (whole 256-element chunks and a tail). Every path
// against the CPU, bit for bit: the buffers start `off` elements into an allocation.
TEST_F(GpuTest, EncodePathsMatchCpu) {
  auto rng = rng_for_test();
  for (auto gt : {lioncubFloat32, lioncubBfloat16}) {
    for (size_t off : {0, 1, 8}) {
      for (float alpha : {-1.0f, 0.0f, 0.7f}) {  // -1: the sign code
        for (uint32_t block : {32u, 1024u, 16384u}) {
          if (alpha < 0 && block != 32u) continue;
          for (size_t n : {255, 256, 257, 4099, 70001}) {
            SCOPED_TRACE(testing::Message() << "grad " << gt << " off " << off << " alpha " << alpha
                                            << " block " << block << " n " << n);
            TypedBuffer g(gt, n + off), m(lioncubFloat32, n + off);
            fill_random(g, rng);
            fill_random(m, rng);
            g.set(off + n / 2, NAN);
            const size_t gsz = gt == lioncubFloat32 ? 4 : 2;
            DeviceVector<uint8_t> dg(g.data(), g.bytes()), dm(m.data(), m.bytes());
            const size_t words = words_of(n);
            DeviceVector<uint32_t> ds{std::vector<uint32_t>(words, 0)}, dz{std::vector<uint32_t>(words, 0)};
            DeviceVector<int> dflag{std::vector<int>{0}};
            std::vector<uint32_t> s(words), z(words);
            int flag = 0;
            const lioncubCode_t code = alpha < 0 ? lioncubCodeSign : lioncubCodeTernary;
            lioncubEncodeDesc_t d{n, gt, lioncubFloat32, 0.9f, 0.99f, code, alpha < 0 ? 0.0f : alpha, block};
            ASSERT_EQ(lioncubEncode(&d, dg.get() + off * gsz, dm.get() + off * 4, ds.get(), dz.get(), dflag.get(),
                                    lioncubMemDevice, nullptr),
                      lioncubSuccess)
                << lioncubGetLastErrorMessage();
            ASSERT_EQ(lioncubEncode(&d, static_cast<uint8_t*>(g.data()) + off * gsz,
                                    static_cast<uint8_t*>(m.data()) + off * 4, s.data(), z.data(), &flag,
                                    lioncubMemHost, nullptr),
                      lioncubSuccess);
            CUDA_OK(cudaDeviceSynchronize());
            EXPECT_EQ(ds.to_host(), s);
            if (code == lioncubCodeTernary) {
              EXPECT_EQ(dz.to_host(), z);
            }
            const auto mom = dm.to_host();
            EXPECT_EQ(0, std::memcmp(mom.data(), m.data(), m.bytes())) << "momentum differs";
            EXPECT_EQ(dflag.to_host()[0], flag);
            EXPECT_EQ(flag, 1);
          }
        }
      }
    }
  }
}

TEST_F(GpuTest, ApplyPathsMatchCpu) {
  auto rng = rng_for_test();
  for (auto pt : {lioncubFloat32, lioncubBfloat16}) {
    for (size_t off : {0, 1, 8}) {
      for (size_t n : {255, 256, 257, 4099}) {
        TypedBuffer p(pt, n + off);
        fill_random(p, rng);
        std::vector<uint32_t> s(words_of(n)), z(words_of(n));
        for (auto& x : s) x = uint32_t(rng());
        for (auto& x : z) x = uint32_t(rng());
        std::vector<uint16_t> counts(n + off);
        std::vector<int16_t> sums(n + off);
        for (size_t i = 0; i < n + off; ++i) counts[i] = uint16_t(rng() % 6), sums[i] = int16_t(int(rng() % 11) - 5);
        DeviceVector<uint32_t> ds(s), dz(z);
        DeviceVector<uint16_t> dc(counts);
        DeviceVector<int16_t> dsum(sums);
        const size_t psz = pt == lioncubFloat32 ? 4 : 2;
        for (int kind = 0; kind < 3; ++kind) {
          for (bool with_nonzero : {false, true}) {
            if (kind != 0 && !with_nonzero) continue;
            SCOPED_TRACE(testing::Message() << "param " << pt << " off " << off << " n " << n << " kind " << kind);
            TypedBuffer host = p;
            DeviceVector<uint8_t> dp(p.data(), p.bytes());
            lioncubUpdate_t hu{lioncubUpdateKind_t(kind), s.data(), with_nonzero ? z.data() : nullptr,
                               counts.data() + off, sums.data() + off, 5};
            lioncubUpdate_t du{lioncubUpdateKind_t(kind), ds.get(), with_nonzero ? dz.get() : nullptr,
                               dc.get() + off, dsum.get() + off, 5};
            ASSERT_EQ(lioncubApply(n, pt, dp.get() + off * psz, &du, 0.003f, 0.1f, lioncubMemDevice, nullptr),
                      lioncubSuccess);
            ASSERT_EQ(lioncubApply(n, pt, static_cast<uint8_t*>(host.data()) + off * psz, &hu, 0.003f, 0.1f,
                                   lioncubMemHost, nullptr),
                      lioncubSuccess);
            const auto got = dp.to_host();
            EXPECT_EQ(0, std::memcmp(got.data(), host.data(), host.bytes()));
          }
        }
      }
    }
  }
}

#else

TEST(GpuTest, Skipped) { GTEST_SKIP() << "this lioncub was built without CUDA"; }

#endif

}  // namespace
}  // namespace lioncub::test
