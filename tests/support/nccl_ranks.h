// Forked ranks on the NCCL backend, one GPU (tests/collectives/nccl_test.cc,
// tests/optimizer/nccl_step_test.cc): each rank is its own NCCL "node" (NCCL_HOSTID) so that NCCL
// routes all traffic through lioncub's net plugin, and rank 0's NCCL id reaches the others through
// a file. The parent never initializes CUDA (a forked child could not use it): the device count
// is asked in a child. Needs LIONCUB_NET_PLUGIN_PATH, CUDA and NCCL.
#pragma once

#include <cuda_runtime.h>
#include <nccl.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "support/ranks.h"

// Returns from the enclosing rank body with the failed CUDA call and its error.
#define CUDA_OR_FAIL(call)                                                            \
  do {                                                                                \
    const cudaError_t e_ = (call);                                                    \
    if (e_ != cudaSuccess) return std::string(#call) + ": " + cudaGetErrorString(e_); \
  } while (0)

namespace lioncub::test {

inline int device_count_in_child() {
  const int n = reap(spawn_status([] { return std::min(lioncubCudaDeviceCount(), 100); }), 120.0);
  return n > 0 ? n : 0;
}

// The NCCL id from rank 0 through a file in `dir` (written to a temporary name, then renamed).
inline std::string exchange_nccl_id(const std::string& dir, int rank, ncclUniqueId* id) {
  const std::string path = dir + "/nccl-id";
  if (rank == 0) {
    if (ncclGetUniqueId(id) != ncclSuccess) return "ncclGetUniqueId failed";
    const std::string tmp = path + ".tmp";
    std::ofstream(tmp, std::ios::binary).write(id->internal, sizeof id->internal);
    return std::rename(tmp.c_str(), path.c_str()) == 0 ? "" : "rename of the NCCL id failed";
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(path, std::ios::binary);
    if (in && in.read(id->internal, sizeof id->internal)) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return "no NCCL id from rank 0";
}

// This rank as its own NCCL node on GPU 0, joined to the others: "" or what failed.
inline std::string nccl_rank_init(int nranks, int rank, const std::string& dir, ncclComm_t* comm) {
  ::setenv("NCCL_HOSTID", ("lioncub-test-node-" + std::to_string(rank)).c_str(), 1);
  ::setenv("NCCL_NET_PLUGIN", LIONCUB_NET_PLUGIN_PATH, 1);
  ::setenv("NCCL_NET", "lioncub", 1);
  ::setenv("NCCL_SOCKET_IFNAME", "lo", 0);
  CUDA_OR_FAIL(cudaSetDevice(0));
  ncclUniqueId id;
  const std::string err = exchange_nccl_id(dir, rank, &id);
  if (!err.empty()) return err;
  const ncclResult_t rc = ncclCommInitRank(comm, nranks, id, rank);
  return rc == ncclSuccess ? "" : std::string("ncclCommInitRank: ") + ncclGetErrorString(rc);
}

}  // namespace lioncub::test
