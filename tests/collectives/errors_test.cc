// Bad arguments, rendezvous timeouts, mismatched calls, environment initialisation, and the
// backend's integer-lane primitives.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "collectives/algorithms/algorithms.h"
#include "collectives/backend/host/host_comm.h"
#include "kernels/lanes.h"
#include "harness.h"
#include "lioncub/lioncub.h"

namespace lioncub::test {
namespace {

std::string last() { return lioncubGetLastErrorMessage(); }

TEST(CommArgs, BadInitArgumentsReturnErrorsWithMessages) {
  lioncubComm_t comm = nullptr;
  EXPECT_EQ(lioncubCommInitHost(nullptr, 1, 0, nullptr), lioncubInvalidArgument);
  EXPECT_NE(last(), "");
  EXPECT_EQ(lioncubCommInitHost(&comm, 0, 0, nullptr), lioncubInvalidArgument);
  EXPECT_NE(last().find("nranks"), std::string::npos) << last();
  EXPECT_EQ(lioncubCommInitHost(&comm, 2, 2, "127.0.0.1:1"), lioncubInvalidArgument);
  EXPECT_NE(last().find("rank"), std::string::npos) << last();
  EXPECT_EQ(lioncubCommInitHost(&comm, 2, -1, "127.0.0.1:1"), lioncubInvalidArgument);
  EXPECT_EQ(lioncubCommInitHost(&comm, 2, 0, nullptr), lioncubInvalidArgument);
  EXPECT_NE(last().find("rendezvous"), std::string::npos) << last();
  EXPECT_EQ(lioncubCommInitHost(&comm, 2, 1, "no-port-here"), lioncubInvalidArgument);
  EXPECT_NE(last().find("host:port"), std::string::npos) << last();
  EXPECT_EQ(lioncubCommInitHost(&comm, 2, 1, "127.0.0.1:99999"), lioncubInvalidArgument);
  EXPECT_EQ(lioncubCommInitHost(&comm, 2, 1, "[::1:5"), lioncubInvalidArgument);
  EXPECT_EQ(comm, nullptr);
  EXPECT_EQ(lioncubCommDestroy(nullptr), lioncubSuccess);
  int x = 0;
  EXPECT_EQ(lioncubCommRank(nullptr, &x), lioncubInvalidArgument);
  EXPECT_EQ(lioncubCommSize(nullptr, &x), lioncubInvalidArgument);
}

TEST(CommArgs, AlgorithmNamesRoundTrip) {
  for (int a = 0; a < lioncubNumAlgorithms; ++a) {
    const char* name = lioncubAlgorithmName(static_cast<lioncubAlgorithm_t>(a));
    ASSERT_NE(name, nullptr);
    lioncubAlgorithm_t back = lioncubAlgoAuto;
    ASSERT_EQ(lioncubAlgorithmFromName(name, &back), lioncubSuccess);
    EXPECT_EQ(back, a);
  }
  lioncubAlgorithm_t out;
  EXPECT_EQ(lioncubAlgorithmName(static_cast<lioncubAlgorithm_t>(99)), nullptr);
  EXPECT_EQ(lioncubAlgorithmFromName("allreduce-vote", &out), lioncubInvalidArgument);
  EXPECT_NE(last().find("allreduce-vote"), std::string::npos) << last();
  EXPECT_EQ(lioncubAlgorithmFromName(nullptr, &out), lioncubInvalidArgument);
}

TEST(CommArgs, BadCollectiveArgumentsReturnErrors) {
  lioncubComm_t comm = nullptr;
  ASSERT_EQ(lioncubCommInitHost(&comm, 1, 0, nullptr), lioncubSuccess) << last();
  std::vector<uint32_t> a(4, 0), b(4, 0), s(4), z(4);
  const size_t n = 100;
  auto agg = [&](lioncubAlgorithm_t algo, lioncubCode_t code, const uint32_t* nz, uint32_t* nzo,
                 lioncubTiePolicy_t tie = lioncubTieZero) {
    return lioncubSignAggregate(comm, algo, code, a.data(), nz, n, tie, 0, s.data(), nzo, nullptr,
                                nullptr);
  };
  EXPECT_EQ(lioncubSignAggregate(nullptr, lioncubAlgoAuto, lioncubCodeSign, a.data(), nullptr, n,
                                 lioncubTieZero, 0, s.data(), z.data(), nullptr, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(agg(lioncubAlgoFull, lioncubCodeSign, nullptr, z.data()), lioncubInvalidArgument);
  EXPECT_NE(last().find("lioncubAllreduce"), std::string::npos) << last();
  EXPECT_EQ(agg(lioncubAlgoPackedSum, lioncubCodeSign, nullptr, z.data()), lioncubSuccess) << last();
  EXPECT_EQ(agg(lioncubAlgoPackedSum, lioncubCodeTernary, nullptr, z.data()), lioncubInvalidArgument);
  EXPECT_EQ(agg(lioncubAlgoPackedSum, lioncubCodeTernary, b.data(), nullptr), lioncubInvalidArgument);
  EXPECT_EQ(agg(static_cast<lioncubAlgorithm_t>(42), lioncubCodeSign, nullptr, z.data()),
            lioncubInvalidArgument);
  EXPECT_EQ(agg(lioncubAlgoAllgatherVote, lioncubCodeTernary, b.data(), z.data()),
            lioncubInvalidArgument);
  EXPECT_NE(last().find("ternary"), std::string::npos) << last();
  EXPECT_EQ(agg(lioncubAlgoQuant2Rs, lioncubCodeSign, nullptr, z.data()), lioncubInvalidArgument);
  EXPECT_EQ(agg(lioncubAlgoQuant2Rs, lioncubCodeTernary, nullptr, z.data()), lioncubInvalidArgument);
  EXPECT_EQ(agg(lioncubAlgoAlltoallVote, lioncubCodeSign, b.data(), z.data()), lioncubInvalidArgument);
  // Ternary sums can be 0 with tie zero: the nonzero plane of the result is needed.
  EXPECT_EQ(agg(lioncubAlgoQuant2Rs, lioncubCodeTernary, b.data(), nullptr), lioncubInvalidArgument);
  EXPECT_NE(last().find("nonzeroOut"), std::string::npos) << last();
  EXPECT_EQ(agg(lioncubAlgoQuant2Rs, lioncubCodeTernary, b.data(), nullptr, lioncubTieAlternate),
            lioncubSuccess) << last();
  // P = 1 is odd: a 1-bit vote has no ties, nonzeroOut may be NULL.
  EXPECT_EQ(agg(lioncubAlgoAlltoallVote, lioncubCodeSign, nullptr, nullptr), lioncubSuccess) << last();
  EXPECT_EQ(agg(lioncubAlgoAllgatherVote, lioncubCodeSign, nullptr, nullptr), lioncubSuccess) << last();
  EXPECT_EQ(lioncubSignAggregate(comm, lioncubAlgoAuto, lioncubCodeSign, nullptr, nullptr, n,
                                 lioncubTieZero, 0, s.data(), z.data(), nullptr, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubSignAggregate(comm, lioncubAlgoAuto, lioncubCodeSign, a.data(), nullptr, n,
                                 static_cast<lioncubTiePolicy_t>(7), 0, s.data(), z.data(), nullptr,
                                 nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubSignAggregate(comm, lioncubAlgoAuto, lioncubCodeSign,
                                 reinterpret_cast<const uint32_t*>(reinterpret_cast<const char*>(a.data()) + 1),
                                 nullptr, n, lioncubTieZero, 0, s.data(), z.data(), nullptr, nullptr),
            lioncubInvalidArgument);
  // A zero count accepts null buffers.
  EXPECT_EQ(lioncubSignAggregate(comm, lioncubAlgoAuto, lioncubCodeSign, nullptr, nullptr, 0,
                                 lioncubTieZero, 0, nullptr, nullptr, nullptr, nullptr),
            lioncubSuccess) << last();

  std::vector<float> f(10, 1.0f);
  EXPECT_EQ(lioncubAllreduce(comm, lioncubAlgoAlltoallVote, f.data(), f.data(), 10, lioncubFloat32,
                             lioncubSum, nullptr, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubAllreduce(comm, lioncubAlgoFull, f.data(), f.data(), 10, lioncubBfloat16,
                             lioncubSum, nullptr, nullptr),
            lioncubNotSupported);
  EXPECT_EQ(lioncubAllreduce(comm, lioncubAlgoFull, nullptr, f.data(), 10, lioncubFloat32,
                             lioncubSum, nullptr, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubAllreduce(comm, lioncubAlgoFull, f.data(), f.data(), 10, lioncubFloat32,
                             static_cast<lioncubReduceOp_t>(5), nullptr, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubAllreduce(nullptr, lioncubAlgoFull, f.data(), f.data(), 10, lioncubFloat32,
                             lioncubSum, nullptr, nullptr),
            lioncubInvalidArgument);
  EXPECT_EQ(lioncubCommDestroy(comm), lioncubSuccess);
}

// Rank 2 of 3 never starts: ranks 0 and 1 get lioncubTimeout naming it, well before a hang.
TEST(Rendezvous, MissingRankTimesOut) {
  ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "1500", 1);
  const std::string rdv = loopback(free_port());
  const auto t0 = std::chrono::steady_clock::now();
  const auto errors = run_ranks({0, 1}, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    const lioncubResult_t rc = lioncubCommInitHost(&comm, 3, rank, rdv.c_str());
    if (rc != lioncubTimeout) return "want lioncubTimeout, got " + describe(rc);
    if (last().find("rank 2") == std::string::npos) return "message does not name rank 2: " + last();
    if (comm != nullptr) return "comm set on failure";
    return "";
  }, 30.0);
  ::unsetenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS");
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 15.0);
}

// Rank 0 (the store) never starts: rank 1 gets lioncubTimeout saying no store answered.
TEST(Rendezvous, MissingStoreTimesOut) {
  ::setenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS", "1000", 1);
  const std::string rdv = loopback(free_port());
  const auto errors = run_ranks({1}, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    const lioncubResult_t rc = lioncubCommInitHost(&comm, 2, rank, rdv.c_str());
    if (rc != lioncubTimeout) return "want lioncubTimeout, got " + describe(rc);
    if (last().find("store") == std::string::npos) return "message: " + last();
    return "";
  }, 30.0);
  ::unsetenv("LIONCUB_RENDEZVOUS_TIMEOUT_MS");
  for (const std::string& e : errors) EXPECT_EQ(e, "");
}

// Ranks that pass different counts get errors, not a hang.
TEST(Mismatch, DifferentCountsFailOnEveryRank) {
  ::setenv("LIONCUB_TIMEOUT_MS", "3000", 1);
  const std::string rdv = loopback(free_port());
  for (lioncubAlgorithm_t algo : {lioncubAlgoAllgatherVote, lioncubAlgoAlltoallVote}) {
    const auto errors = run_all(2, [&](int rank) -> std::string {
      lioncubComm_t comm = nullptr;
      const std::string at = loopback(free_port());
      (void)at;
      lioncubResult_t rc = lioncubCommInitHost(&comm, 2, rank, rdv.c_str());
      if (rc != lioncubSuccess) return "init: " + describe(rc);
      const size_t n = rank == 0 ? 100000 : 50000;
      std::vector<uint32_t> in((n + 31) / 32, 0x12345678u), s(in.size()), z(in.size());
      rc = lioncubSignAggregate(comm, algo, lioncubCodeSign, in.data(), nullptr, n, lioncubTieZero,
                                0, s.data(), z.data(), nullptr, nullptr);
      lioncubCommDestroy(comm);
      if (rc == lioncubSuccess) return "a mismatched call succeeded";
      return "";
    }, 40.0);
    for (const std::string& e : errors) EXPECT_EQ(e, "") << lioncubAlgorithmName(algo);
  }
  ::unsetenv("LIONCUB_TIMEOUT_MS");
}

// LIONCUB_NET_PLUGIN: a path that does not load is a clear error on every rank; the built
// plugin named explicitly works.
TEST(Plugin, SelectedByEnvironment) {
  ::setenv("LIONCUB_NET_PLUGIN", "/nonexistent/libnccl-net-none.so", 1);
  std::string rdv = loopback(free_port());
  auto errors = run_all(2, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    const lioncubResult_t rc = lioncubCommInitHost(&comm, 2, rank, rdv.c_str());
    if (rc != lioncubSystemError) return "want lioncubSystemError, got " + describe(rc);
    if (last().find("LIONCUB_NET_PLUGIN") == std::string::npos) return "message: " + last();
    return "";
  }, 30.0);
  for (const std::string& e : errors) EXPECT_EQ(e, "");
  ::setenv("LIONCUB_NET_PLUGIN", LIONCUB_NET_PLUGIN_PATH, 1);
  rdv = loopback(free_port());
  errors = run_all(2, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    lioncubResult_t rc = lioncubCommInitHost(&comm, 2, rank, rdv.c_str());
    if (rc != lioncubSuccess) return "init: " + describe(rc);
    float x = 1.0f;
    rc = lioncubAllreduce(comm, lioncubAlgoFull, &x, &x, 1, lioncubFloat32, lioncubSum, nullptr, nullptr);
    lioncubCommDestroy(comm);
    if (rc != lioncubSuccess || x != 2.0f) return "allreduce: " + describe(rc);
    return "";
  }, 30.0);
  ::unsetenv("LIONCUB_NET_PLUGIN");
  for (const std::string& e : errors) EXPECT_EQ(e, "");
}

// The first collective's arguments are compared across ranks: every rank fails, naming both.
TEST(Mismatch, DifferentAlgorithmOrTieFailsOnEveryRank) {
  for (int variant = 0; variant < 3; ++variant) {
    const std::string rdv = loopback(free_port());
    const auto errors = run_all(3, [&](int rank) -> std::string {
      lioncubComm_t comm = nullptr;
      lioncubResult_t rc = lioncubCommInitHost(&comm, 3, rank, rdv.c_str());
      if (rc != lioncubSuccess) return "init: " + describe(rc);
      const size_t n = 1000;
      std::vector<uint32_t> in(32, 0x0f0f0f0fu), s(32), z(32);
      const bool odd_one = rank == 2;
      const lioncubAlgorithm_t algo =
          (variant == 0 && odd_one) ? lioncubAlgoAllgatherVote : lioncubAlgoAlltoallVote;
      const lioncubTiePolicy_t tie = (variant == 1 && odd_one) ? lioncubTieAlternate : lioncubTieZero;
      const uint64_t step = (variant == 2 && odd_one) ? 1 : 0;
      rc = lioncubSignAggregate(comm, algo, lioncubCodeSign, in.data(), nullptr, n, tie, step,
                                s.data(), z.data(), nullptr, nullptr);
      const std::string msg = last();
      lioncubCommDestroy(comm);
      if (rc != lioncubInvalidUsage) return "want lioncubInvalidUsage, got " + describe(rc);
      if (msg.find("rank 2") == std::string::npos) return "message: " + msg;
      return "";
    }, 40.0);
    for (const std::string& e : errors) EXPECT_EQ(e, "") << "variant " << variant;
  }
}

// With LIONCUB_CHECK_ARGS=1 every call is compared, not only the first.
TEST(Mismatch, CheckEveryCallWhenAsked) {
  ::setenv("LIONCUB_CHECK_ARGS", "1", 1);
  const std::string rdv = loopback(free_port());
  const auto errors = run_all(2, [&](int rank) -> std::string {
    lioncubComm_t comm = nullptr;
    lioncubResult_t rc = lioncubCommInitHost(&comm, 2, rank, rdv.c_str());
    if (rc != lioncubSuccess) return "init: " + describe(rc);
    std::vector<float> x(100, 1.0f);
    rc = lioncubAllreduce(comm, lioncubAlgoFull, x.data(), x.data(), 100, lioncubFloat32, lioncubSum,
                          nullptr, nullptr);
    if (rc != lioncubSuccess) return "first call: " + describe(rc);
    rc = lioncubAllreduce(comm, lioncubAlgoFull, x.data(), x.data(), 100, lioncubFloat32,
                          rank == 0 ? lioncubSum : lioncubAvg, nullptr, nullptr);
    lioncubCommDestroy(comm);
    if (rc != lioncubInvalidUsage) return "want lioncubInvalidUsage, got " + describe(rc);
    return "";
  }, 40.0);
  ::unsetenv("LIONCUB_CHECK_ARGS");
  for (const std::string& e : errors) EXPECT_EQ(e, "");
}

// torchrun-style and mpirun-style environments.
TEST(FromEnv, TorchrunAndOpenMpiVariables) {
  const int port = free_port();
  auto body = [&](int rank, bool mpi) -> std::string {
    for (const char* v : {"LIONCUB_RANK", "LIONCUB_WORLD_SIZE", "LIONCUB_ROOT", "RANK", "WORLD_SIZE",
                          "MASTER_ADDR", "MASTER_PORT", "OMPI_COMM_WORLD_RANK",
                          "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID", "SLURM_NTASKS"}) {
      ::unsetenv(v);
    }
    const std::string r = std::to_string(rank);
    if (mpi) {
      ::setenv("OMPI_COMM_WORLD_RANK", r.c_str(), 1);
      ::setenv("OMPI_COMM_WORLD_SIZE", "2", 1);
      ::setenv("LIONCUB_ROOT", loopback(port).c_str(), 1);
    } else {
      ::setenv("RANK", r.c_str(), 1);
      ::setenv("WORLD_SIZE", "2", 1);
      ::setenv("MASTER_ADDR", "127.0.0.1", 1);
      ::setenv("MASTER_PORT", std::to_string(port).c_str(), 1);
    }
    lioncubComm_t comm = nullptr;
    lioncubResult_t rc = lioncubCommInitFromEnv(&comm);
    if (rc != lioncubSuccess) return "init: " + describe(rc);
    int got = -1;
    lioncubCommRank(comm, &got);
    float x = static_cast<float>(rank + 1);
    rc = lioncubAllreduce(comm, lioncubAlgoMean, &x, &x, 1, lioncubFloat32, lioncubAvg, nullptr, nullptr);
    lioncubCommDestroy(comm);
    if (rc != lioncubSuccess) return "allreduce: " + describe(rc);
    if (got != rank || x != 1.5f) return "wrong rank or mean";
    return "";
  };
  for (const std::string& e : run_all(2, [&](int r) { return body(r, false); })) EXPECT_EQ(e, "");
  for (const std::string& e : run_all(2, [&](int r) { return body(r, true); })) EXPECT_EQ(e, "");
}

TEST(FromEnv, MissingVariablesAreErrors) {
  const auto errors = run_all(1, [](int) -> std::string {
    for (const char* v : {"LIONCUB_RANK", "LIONCUB_WORLD_SIZE", "LIONCUB_ROOT", "RANK", "WORLD_SIZE",
                          "MASTER_ADDR", "MASTER_PORT", "OMPI_COMM_WORLD_RANK",
                          "OMPI_COMM_WORLD_SIZE", "SLURM_PROCID", "SLURM_NTASKS"}) {
      ::unsetenv(v);
    }
    lioncubComm_t comm = nullptr;
    if (lioncubCommInitFromEnv(&comm) != lioncubInvalidArgument) return "no variables accepted";
    ::setenv("WORLD_SIZE", "2", 1);
    ::setenv("RANK", "0", 1);
    if (lioncubCommInitFromEnv(&comm) != lioncubInvalidArgument) return "no MASTER_ADDR accepted";
    if (last().find("LIONCUB_ROOT") == std::string::npos) return "message: " + last();
    ::setenv("RANK", "two", 1);
    if (lioncubCommInitFromEnv(&comm) != lioncubInvalidArgument) return "junk rank accepted";
    ::setenv("LIONCUB_RANK", "0", 1);
    ::setenv("LIONCUB_WORLD_SIZE", "1", 1);
    if (lioncubCommInitFromEnv(&comm) != lioncubSuccess) return "single rank: " + last();
    lioncubCommDestroy(comm);
    return "";
  });
  for (const std::string& e : errors) EXPECT_EQ(e, "");
}

// The backend primitives with integer lanes, uneven sizes: int32/int16 sums, alltoallv.
TEST(HostPrimitives, IntegerSumsAndUnevenAlltoall) {
  for (int P : {2, 3, 5}) {
    const std::string rdv = loopback(free_port());
    const auto errors = run_all(P, [&](int rank) -> std::string {
      coll::HostComm comm(P, rank, rdv, LIONCUB_NET_PLUGIN_PATH);
      for (size_t n : {size_t(0), size_t(1), size_t(7), size_t(100003)}) {
        std::vector<int32_t> a(n);
        std::vector<int16_t> b(n);
        for (size_t j = 0; j < n; ++j) {
          a[j] = static_cast<int32_t>(j) * 5 - rank;
          b[j] = static_cast<int16_t>((j % 100) + static_cast<size_t>(rank));
        }
        comm.allreduce_sum<int32_t>(a.data(), n, false, nullptr, nullptr);
        comm.allreduce_sum<int16_t>(b.data(), n, false, nullptr, nullptr);
        for (size_t j = 0; j < n; ++j) {
          if (a[j] != P * (static_cast<int32_t>(j) * 5) - P * (P - 1) / 2) return "int32 sum";
          if (b[j] != P * static_cast<int>(j % 100) + P * (P - 1) / 2) return "int16 sum";
        }
      }
      // Block j from rank r has r + 3*j + 1 bytes of value (r*16 + j).
      std::vector<size_t> soff(P), ssz(P), roff(P), rsz(P);
      size_t stot = 0, rtot = 0;
      for (int j = 0; j < P; ++j) {
        ssz[j] = static_cast<size_t>(rank + 3 * j + 1);
        soff[j] = stot;
        stot += ssz[j];
        rsz[j] = static_cast<size_t>(j + 3 * rank + 1);
        roff[j] = rtot;
        rtot += rsz[j];
      }
      std::vector<uint8_t> send(stot), recv(rtot, 0xee);
      for (int j = 0; j < P; ++j) {
        for (size_t k = 0; k < ssz[j]; ++k) send[soff[j] + k] = static_cast<uint8_t>(rank * 16 + j);
      }
      comm.alltoallv(send.data(), soff.data(), ssz.data(), recv.data(), roff.data(), rsz.data());
      for (int j = 0; j < P; ++j) {
        for (size_t k = 0; k < rsz[j]; ++k) {
          if (recv[roff[j] + k] != static_cast<uint8_t>(j * 16 + rank)) return "alltoallv block";
        }
      }
      return "";
    });
    for (const std::string& e : errors) EXPECT_EQ(e, "") << "P=" << P;
  }
}

// packed-sum's word math: lanes spread and compressed back, and the lane width by P.
TEST(PackedLanes, SpreadCompressRoundTripAndWidths) {
  for (uint32_t x : {0u, 1u, 0x80000000u, 0xdeadbeefu, 0xffffffffu, 0x12345678u}) {
    uint32_t l2[2], l4[4], l8[8];
    lioncub::spread_lanes<2>(x, l2);
    lioncub::spread_lanes<4>(x, l4);
    lioncub::spread_lanes<8>(x, l8);
    for (int i = 0; i < 32; ++i) {
      const uint32_t b = (x >> i) & 1u;
      EXPECT_EQ((l2[i * 2 / 32] >> (i * 2 % 32)) & 3u, b);
      EXPECT_EQ((l4[i * 4 / 32] >> (i * 4 % 32)) & 15u, b);
      EXPECT_EQ((l8[i * 8 / 32] >> (i * 8 % 32)) & 255u, b);
    }
    EXPECT_EQ(lioncub::compress_lanes<2>(l2, 0), x);
    EXPECT_EQ(lioncub::compress_lanes<4>(l4, 0), x);
    EXPECT_EQ(lioncub::compress_lanes<8>(l8, 0), x);
    // Bit k of each lane: shift the lanes up by k and read plane k.
    uint32_t sh[8];
    for (int q = 0; q < 8; ++q) sh[q] = l8[q] << 5;
    EXPECT_EQ(lioncub::compress_lanes<8>(sh, 5), x);
    EXPECT_EQ(lioncub::compress_lanes<8>(sh, 4), 0u);
  }
  EXPECT_EQ(coll::packed_sum_width(1, false), 2);
  EXPECT_EQ(coll::packed_sum_width(3, false), 2);
  EXPECT_EQ(coll::packed_sum_width(4, false), 4);
  EXPECT_EQ(coll::packed_sum_width(15, false), 4);
  EXPECT_EQ(coll::packed_sum_width(16, false), 8);
  EXPECT_EQ(coll::packed_sum_width(255, false), 8);
  EXPECT_EQ(coll::packed_sum_width(256, false), 0);  // falls back to alltoall-vote
  EXPECT_EQ(coll::packed_sum_width(1, true), 2);
  EXPECT_EQ(coll::packed_sum_width(2, true), 4);
  EXPECT_EQ(coll::packed_sum_width(7, true), 4);
  EXPECT_EQ(coll::packed_sum_width(8, true), 8);
  EXPECT_EQ(coll::packed_sum_width(127, true), 8);
  EXPECT_EQ(coll::packed_sum_width(128, true), 0);  // falls back to quant2-rs
}

}  // namespace
}  // namespace lioncub::test
