// The host-side logic of the GPU path, tested without a GPU: the occupancy-based grid size of the
// CUDA kernels, the NCCL backend's gather plan, NCCL resolved at run time, and the device path's
// errors on a machine without a CUDA driver.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "collectives/backend/nccl/gather_plan.h"
#include "kernels/cuda/grid.h"
#include "lioncub/lioncub.h"
#if defined(LIONCUB_HAVE_NCCL)
#include "collectives/backend/nccl/nccl_api.h"
#endif

namespace lioncub::test {
namespace {

// Independent reference: the smallest of "one block per items_per_block items" and "every
// multiprocessor full", at least one block.
unsigned reference_grid(size_t work, size_t per_block, int sms, int per_sm) {
  size_t wanted = 0;
  while (wanted * per_block < work) ++wanted;  // ceil by counting (small inputs only)
  size_t resident = size_t(sms) * size_t(per_sm);
  size_t g = wanted < resident ? wanted : resident;
  return unsigned(g == 0 ? 1 : g);
}

TEST(GridSize, OneWaveOfResidentBlocks) {
  for (int sms : {1, 7, 132}) {
    for (int per_sm : {1, 3, 8}) {
      for (size_t per_block : {size_t(1), size_t(8), size_t(256)}) {
        for (size_t work : {size_t(0), size_t(1), size_t(255), size_t(256), size_t(257),
                            size_t(5000), size_t(300000)}) {
          SCOPED_TRACE(testing::Message() << sms << " SMs, " << per_sm << " per SM, " << per_block
                                          << " per block, work " << work);
          EXPECT_EQ(cuda::grid_size(work, per_block, sms, per_sm),
                    reference_grid(work, per_block, sms, per_sm));
        }
      }
    }
  }
}

TEST(GridSize, FallbacksAndLimits) {
  // A failed occupancy query (0) falls back to 2 blocks per SM; unknown SMs to 132.
  EXPECT_EQ(cuda::grid_size(size_t(1) << 30, 256, 10, 0), 20u);
  EXPECT_EQ(cuda::grid_size(size_t(1) << 30, 256, 0, 4), 528u);
  EXPECT_EQ(cuda::grid_size(10, 0, 132, 8), 10u);  // 0 items per block means 1
  EXPECT_EQ(cuda::grid_size(size_t(1) << 40, 1, 1 << 20, 1 << 20), 0x7fffffffu);
}

// The shard layout of the compressed collectives: words [W*j/P, W*(j+1)/P), in bytes.
void shards(size_t W, int P, std::vector<size_t>& off, std::vector<size_t>& sz) {
  off.assign(P, 0);
  sz.assign(P, 0);
  for (int j = 0; j < P; ++j) {
    const size_t lo = W * size_t(j) / size_t(P), hi = W * size_t(j + 1) / size_t(P);
    off[j] = lo * 4;
    sz[j] = (hi - lo) * 4;
  }
}

TEST(GatherPlan, AllGatherOnlyForEqualBackToBackBlocks) {
  for (int P : {1, 2, 3, 4, 7, 8}) {
    for (size_t W : {size_t(0), size_t(1), size_t(3), size_t(8), size_t(24), size_t(1000), size_t(1001)}) {
      std::vector<size_t> off, sz;
      shards(W, P, off, sz);
      for (int r = 0; r < P; ++r) {
        SCOPED_TRACE(testing::Message() << "P " << P << " W " << W << " rank " << r);
        const coll::GatherPlan plan = coll::plan_gather(P, r, off.data(), sz.data());
        if (P == 1 || W == 0) {
          EXPECT_EQ(plan.kind, coll::GatherPlan::kNothing);
          continue;
        }
        // Bytes: own block to every peer, every other block received; W words in all.
        EXPECT_EQ(plan.sent, sz[r] * uint64_t(P - 1));
        EXPECT_EQ(plan.received, W * 4 - sz[r]);
        if (W % size_t(P) == 0) {
          ASSERT_EQ(plan.kind, coll::GatherPlan::kAllGather);
          EXPECT_EQ(plan.base, 0u);
          EXPECT_EQ(plan.block * size_t(P), W * 4);  // never past the end of the plane
        } else {
          EXPECT_EQ(plan.kind, coll::GatherPlan::kPointToPoint);
        }
      }
    }
  }
}

TEST(GatherPlan, OffsetLayoutAndUnevenBlocks) {
  // Equal blocks after a base offset are still one allgather; a gap between blocks is not.
  const size_t off[3] = {64, 96, 128}, sz[3] = {32, 32, 32};
  const coll::GatherPlan a = coll::plan_gather(3, 1, off, sz);
  EXPECT_EQ(a.kind, coll::GatherPlan::kAllGather);
  EXPECT_EQ(a.base, 64u);
  EXPECT_EQ(a.block, 32u);
  const size_t gap[3] = {0, 40, 80};
  EXPECT_EQ(coll::plan_gather(3, 0, gap, sz).kind, coll::GatherPlan::kPointToPoint);
  const size_t empty[2] = {0, 0}, some[2] = {0, 8};
  EXPECT_EQ(coll::plan_gather(2, 0, empty, empty).kind, coll::GatherPlan::kNothing);
  const coll::GatherPlan b = coll::plan_gather(2, 0, empty, some);  // nothing to send, 8 to receive
  EXPECT_EQ(b.kind, coll::GatherPlan::kPointToPoint);
  EXPECT_EQ(b.sent, 0u);
  EXPECT_EQ(b.received, 8u);
}

// NCCL is looked up at run time: a missing library is a clear lioncubNotSupported, and the
// communicator pointer is not touched before NCCL is found.
TEST(NcclAtRunTime, MissingLibraryIsNotSupported) {
  ::setenv("LIONCUB_NCCL_LIBRARY", "/nonexistent/lioncub-test/libnccl.so.2", 1);
  lioncubComm_t comm = reinterpret_cast<lioncubComm_t>(0x1);
  const lioncubResult_t rc = lioncubCommInitNccl(&comm, reinterpret_cast<ncclComm_t>(0x10));
  const std::string msg = lioncubGetLastErrorMessage();
  ::unsetenv("LIONCUB_NCCL_LIBRARY");
  EXPECT_EQ(rc, lioncubNotSupported) << msg;
  EXPECT_EQ(comm, nullptr);
#if defined(LIONCUB_HAVE_NCCL)
  EXPECT_NE(msg.find("/nonexistent/lioncub-test/libnccl.so.2"), std::string::npos) << msg;
  EXPECT_NE(msg.find("LIONCUB_NCCL_LIBRARY"), std::string::npos) << msg;
#else
  EXPECT_NE(msg.find("NCCL"), std::string::npos) << msg;
#endif
}

#if defined(LIONCUB_HAVE_NCCL)
// This test program links NCCL itself (as a PyTorch process has it loaded): the backend must take
// that one (RTLD_NOLOAD) rather than load another, and find every function it calls.
TEST(NcclAtRunTime, TakesTheNcclAlreadyLoaded) {
  const coll::NcclApi& api = coll::nccl_api();
  EXPECT_EQ(api.origin.rfind("already loaded", 0), 0u) << api.origin;
  int linked = 0;
  ASSERT_EQ(ncclGetVersion(&linked), ncclSuccess);
  EXPECT_EQ(api.version, linked);
  EXPECT_EQ(api.AllGather, &ncclAllGather);  // the very function this program links
  EXPECT_NE(api.CommGetAsyncError, nullptr);
  EXPECT_STREQ(api.GetErrorString(ncclInvalidArgument), ncclGetErrorString(ncclInvalidArgument));
}
#endif

// Without a CUDA driver (this machine): no devices, and device-memory kernels fail with a
// message instead of crashing. With a GPU the same calls are GpuTest's business.
TEST(NoCudaDriver, DevicePathFailsCleanly) {
  if (!lioncubHasCuda()) GTEST_SKIP() << "built without CUDA";
  if (lioncubCudaDeviceCount() > 0) GTEST_SKIP() << "a CUDA device is present";
  alignas(16) float g[64] = {}, m[64] = {};
  alignas(16) uint32_t s[2] = {}, z[2] = {};
  for (auto code : {lioncubCodeSign, lioncubCodeTernary}) {
    for (float alpha : {0.0f, 0.5f}) {
      lioncubEncodeDesc_t d{64, lioncubFloat32, lioncubFloat32, 0.9f, 0.99f, code, alpha, 32};
      EXPECT_EQ(lioncubEncode(&d, g, m, s, z, nullptr, lioncubMemDevice, nullptr), lioncubCudaError);
      EXPECT_NE(std::string(lioncubGetLastErrorMessage()).find("lioncub encode"), std::string::npos)
          << lioncubGetLastErrorMessage();
    }
  }
  lioncubUpdate_t u{};
  u.kind = lioncubUpdatePlanes;
  u.sign = s;
  EXPECT_EQ(lioncubApply(64, lioncubFloat32, g, &u, 0.1f, 0.0f, lioncubMemDevice, nullptr), lioncubCudaError);
  EXPECT_NE(std::string(lioncubGetLastErrorMessage()).find("CUDA"), std::string::npos)
      << lioncubGetLastErrorMessage();
  EXPECT_EQ(lioncubVote(s, 2, 1, 64, lioncubTieZero, 0, z, nullptr, lioncubMemDevice, nullptr), lioncubCudaError);
}

}  // namespace
}  // namespace lioncub::test
