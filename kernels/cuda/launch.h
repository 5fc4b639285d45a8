// Launch helpers of the CUDA kernels: grid sizing from occupancy and launch-error reporting.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <utility>

#include "common/error.h"
#include "grid.h"

namespace lioncub::cuda {

constexpr int kThreads = 256;

// Multiprocessors of the current device, asked once per device rather than on every launch.
inline int multiprocessors(int device) {
  constexpr int kMaxDevices = 64;
  static std::atomic<int> cached[kMaxDevices] = {};  // 0: not asked yet
  if (device < 0 || device >= kMaxDevices) return 0;
  int sms = cached[device].load(std::memory_order_relaxed);
  if (sms == 0) {
    if (cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device) != cudaSuccess) sms = 0;
    if (sms <= 0) return 0;  // not cached: grid_size falls back
    cached[device].store(sms, std::memory_order_relaxed);  // racing threads store the same value
  }
  return sms;
}

// Resident blocks per multiprocessor of `kernel` with `threads` threads and `smem` bytes of dynamic
// shared memory, asked once per (kernel, device, threads, smem).
inline int blocks_per_sm(const void* kernel, int device, int threads, size_t smem) {
  static std::mutex mu;
  static std::map<std::pair<std::pair<const void*, int>, std::pair<int, size_t>>, int> cache;
  const auto key = std::make_pair(std::make_pair(kernel, device), std::make_pair(threads, smem));
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  int n = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, kernel, threads, smem) != cudaSuccess) {
    cudaGetLastError();  // not sticky, but leave nothing for launch_result to misreport
    return 0;            // not cached: grid_size falls back
  }
  cache.emplace(key, n);
  return n;
}

// Enough blocks for one wave of resident blocks of `kernel` (blocks of `threads` threads) on the
// current device, fewer when the work is small; the kernels loop grid-stride.
template <class Kernel>
unsigned grid_for(Kernel kernel, size_t work_items, size_t items_per_block = kThreads,
                  size_t smem = 0, int threads = kThreads) {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();
    return grid_size(work_items, items_per_block, 0, 0);  // the launch reports the real error
  }
  return grid_size(work_items, items_per_block, multiprocessors(device),
                   blocks_per_sm(reinterpret_cast<const void*>(kernel), device, threads, smem));
}

inline lioncubResult_t launch_result(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return lioncubSuccess;
  if (e == cudaErrorInsufficientDriver || e == cudaErrorNoDevice) {
    return fail(lioncubCudaError, "%s: no usable CUDA device (%s): device memory needs a GPU and its driver",
                kernel, cudaGetErrorString(e));
  }
  return fail(lioncubCudaError, "%s: launch failed: %s", kernel, cudaGetErrorString(e));
}

constexpr unsigned kFullMask = 0xffffffffu;

}  // namespace lioncub::cuda
