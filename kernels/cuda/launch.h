// Launch helpers of the CUDA kernels: grid sizing and launch-error reporting.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>

#include "common/error.h"

namespace lioncub::cuda {

constexpr int kThreads = 256;

// Multiprocessors of the current device, asked once per device rather than on every launch.
inline int multiprocessors() {
  constexpr int kMaxDevices = 64;
  static std::atomic<int> cached[kMaxDevices] = {};  // 0: not asked yet
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess || device < 0 || device >= kMaxDevices) return 132;
  int sms = cached[device].load(std::memory_order_relaxed);
  if (sms == 0) {
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
    if (sms <= 0) sms = 132;
    cached[device].store(sms, std::memory_order_relaxed);  // racing threads store the same value
  }
  return sms;
}

// Enough blocks to fill the device a few times over; the kernels loop grid-stride.
inline unsigned grid_for(size_t work_items, size_t items_per_block = kThreads) {
  const size_t wanted = (work_items + items_per_block - 1) / items_per_block;
  return unsigned(std::max<size_t>(1, std::min<size_t>(wanted, size_t(multiprocessors()) * 8)));
}

inline lioncubResult_t launch_result(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return lioncubSuccess;
  return fail(lioncubCudaError, "%s: launch failed: %s", kernel, cudaGetErrorString(e));
}

constexpr unsigned kFullMask = 0xffffffffu;

}  // namespace lioncub::cuda
