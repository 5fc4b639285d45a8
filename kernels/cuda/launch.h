// Launch helpers of the CUDA kernels: grid sizing and launch-error reporting.
#pragma once

#include <cuda_runtime.h>

#include <algorithm>

#include "../error.h"

namespace lioncub::cuda {

constexpr int kThreads = 256;

// Enough blocks to fill the device a few times over; the kernels loop grid-stride.
inline unsigned grid_for(size_t work_items, size_t items_per_block = kThreads) {
  int device = 0, sms = 132;
  if (cudaGetDevice(&device) == cudaSuccess) {
    cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device);
  }
  const size_t wanted = (work_items + items_per_block - 1) / items_per_block;
  return unsigned(std::max<size_t>(1, std::min<size_t>(wanted, size_t(sms) * 8)));
}

inline lioncubResult_t launch_result(const char* kernel) {
  const cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess) return lioncubSuccess;
  return fail(lioncubCudaError, "%s: launch failed: %s", kernel, cudaGetErrorString(e));
}

constexpr unsigned kFullMask = 0xffffffffu;

}  // namespace lioncub::cuda
